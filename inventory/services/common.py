"""What every inventory service shares: its errors and the check of a quantity typed by a person."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts.models import Notification

EMAIL = Notification.Channel.EMAIL


class StockError(ValidationError):
    """A stock change that cannot happen (not enough stock, bad quantity). Nothing changed."""


class OrderError(ValidationError):
    """An order, cancellation or return that cannot happen. Nothing changed."""


class PurchaseOrderError(ValidationError):
    pass


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
