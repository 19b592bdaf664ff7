"""A customer's saved delivery addresses: adding, editing, deleting one and choosing the default.

An order never points at an address: ``order_place`` copies the chosen one into the order's
``delivery_*`` fields, so nothing here can change an order already placed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User

from ..models import Address
from .orders import DeliveryDetails

# Enough for home, work, parents and a few friends; a form or API call past it gets an error.
MAX_ADDRESSES = 20


class AddressError(ValidationError):
    """The address cannot be saved as asked. Nothing changed."""


@dataclass(frozen=True)
class AddressInput:
    name: str
    address: str
    postcode: str
    city: str
    phone: str = ""
    label: str = ""

    def cleaned(self) -> AddressInput:
        values = {field: " ".join(str(getattr(self, field) or "").split()) for field in ("name", "postcode", "city")}
        missing = [field for field, value in values.items() if not value]
        street = str(self.address or "").strip()
        if not street:
            missing.insert(1, "address")
        if missing:
            raise AddressError(f"An address needs a {', '.join(missing)}.")
        return AddressInput(
            name=values["name"],
            address=street,
            postcode=values["postcode"],
            city=values["city"],
            phone=str(self.phone or "").strip(),
            label=str(self.label or "").strip(),
        )


def address_delivery(address: Address) -> DeliveryDetails:
    """What an order copies from a saved address."""
    return DeliveryDetails(
        name=address.name, address=address.address, postcode=address.postcode, city=address.city, phone=address.phone
    )


def _make_default(address: Address) -> None:
    # Clear the old default first: the partial UNIQUE allows one default per customer.
    Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    Address.objects.filter(pk=address.pk).update(is_default=True)
    address.is_default = True


@transaction.atomic
def address_create(*, customer: User, data: AddressInput, make_default: bool = False) -> Address:
    """Save a new address for ``customer``; their first one becomes the default.

    Raises ``AddressError`` (nothing saved) for a missing field or past ``MAX_ADDRESSES``.
    """
    data = data.cleaned()
    # Lock the customer's row so two requests cannot both pass the limit or both become default.
    User.objects.select_for_update().filter(pk=customer.pk).first()
    count = Address.objects.filter(customer=customer).count()
    if count >= MAX_ADDRESSES:
        raise AddressError(f"You can save up to {MAX_ADDRESSES} addresses; delete one first.")
    address = Address.objects.create(customer=customer, **data.__dict__)
    if make_default or count == 0:
        _make_default(address)
    return address


@transaction.atomic
def address_update(*, address: Address, data: AddressInput) -> Address:
    """Change a saved address. Orders placed with it keep the copy they made."""
    data = data.cleaned()
    for field, value in data.__dict__.items():
        setattr(address, field, value)
    address.save(update_fields=list(data.__dict__))
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> Address:
    User.objects.select_for_update().filter(pk=address.customer_id).first()
    _make_default(address)
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete a saved address; if it was the default, the newest other one becomes the default."""
    User.objects.select_for_update().filter(pk=address.customer_id).first()
    was_default = Address.objects.filter(pk=address.pk, is_default=True).exists()
    Address.objects.filter(pk=address.pk).delete()
    if was_default:
        successor = Address.objects.filter(customer_id=address.customer_id).order_by("-created_at", "-pk").first()
        if successor is not None:
            _make_default(successor)
