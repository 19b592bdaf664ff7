"""What every inventory service shares: its errors and the check of a quantity typed by a person."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import Notification, User

EMAIL = Notification.Channel.EMAIL


class StockError(ValidationError):
    """A stock change that cannot happen (not enough stock, bad quantity). Nothing changed."""


class OrderError(ValidationError):
    """An order, cancellation or return that cannot happen. Nothing changed."""


class PurchaseOrderError(ValidationError):
    pass


@dataclass(frozen=True)
class Buyer:
    """Who buys: a customer's account, or a guest known only by an email address (never both)."""

    customer: User | None
    email: str

    @classmethod
    def of(cls, *, customer: User | None = None, guest_email: str = "") -> Buyer:
        """The buyer of an order placed by ``customer``, or by a guest at ``guest_email``.

        Raises ``OrderError`` for neither, both, or an address that is not an email address.
        """
        guest_email = (guest_email or "").strip()
        if customer is not None:
            if guest_email:
                raise OrderError("An order is placed by a customer or by a guest email, not both.")
            return cls(customer=customer, email=customer.email)
        if not guest_email:
            raise OrderError("Enter your email address to order without an account.", code="guest_email")
        try:
            validate_email(guest_email)
        except ValidationError:
            raise OrderError("Enter a valid email address.", code="guest_email") from None
        local, _, domain = guest_email.rpartition("@")
        return cls(customer=None, email=f"{local}@{domain.lower()}")

    @property
    def is_guest(self) -> bool:
        return self.customer is None


def positive_int(value, *, what: str = "Quantity", error=StockError) -> int:
    """``value`` as a whole number of at least 1, or ``error`` saying why not."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise error(f"{what} must be a whole number.") from None
    if number != value and str(number) != str(value).strip():
        raise error(f"{what} must be a whole number.")
    if number <= 0:
        raise error(f"{what} must be at least 1.")
    return number
