"""What a cart costs: goods, delivery fee and total, computed once for the cart, checkout and order.

One function (``quote``) prices a set of lines for one store, so the cart page, the checkout page
and ``order_place`` can never disagree. Money is ``Decimal`` throughout and every stored amount
is rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from accounts.models import Store

from ..models import Product, StoreShipping

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DeliveryTerms:
    """A store's delivery fee rules (``StoreShipping``, or free delivery without a row)."""

    fee: Decimal = ZERO
    free_threshold: Decimal | None = None
    pickup_hours: str = ""

    @classmethod
    def from_settings(cls, shipping: StoreShipping | None) -> DeliveryTerms:
        if shipping is None:
            return cls()
        return cls(
            fee=shipping.delivery_fee,
            free_threshold=shipping.free_delivery_threshold,
            pickup_hours=shipping.pickup_hours,
        )

    def fee_for(self, *, goods: Decimal, pickup: bool) -> Decimal:
        """The delivery fee of an order whose goods come to ``goods`` (after discount)."""
        if pickup or self.fee <= 0:
            return ZERO
        if self.free_threshold is not None and goods >= self.free_threshold:
            return ZERO
        return to_cents(self.fee)

    def missing_for_free(self, *, goods: Decimal) -> Decimal | None:
        """How much more would make delivery free (None when it is free already or never)."""
        if self.fee <= 0 or self.free_threshold is None or goods >= self.free_threshold:
            return None
        return to_cents(self.free_threshold - goods)


def delivery_terms_for_store(store_id: int) -> DeliveryTerms:
    return DeliveryTerms.from_settings(StoreShipping.objects.filter(store_id=store_id).first())


def delivery_terms_of(store: Store) -> DeliveryTerms:
    """The terms of a store read with ``select_related("shipping")`` (no query of its own)."""
    try:
        return DeliveryTerms.from_settings(store.shipping)
    except StoreShipping.DoesNotExist:
        return DeliveryTerms()


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return to_cents(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Quote:
    """The money of one would-be order. ``total == subtotal + shipping`` to the cent."""

    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    pickup: bool
    delivery: DeliveryTerms

    @property
    def missing_for_free_delivery(self) -> Decimal | None:
        return None if self.pickup else self.delivery.missing_for_free(goods=self.subtotal)


def quote(
    *,
    lines: Sequence[tuple[Product, int, Decimal]],
    delivery: DeliveryTerms,
    pickup: bool,
) -> Quote:
    """Price ``(product, quantity, unit price)`` lines of one store. Pure: reads and writes nothing."""
    priced = tuple(PricedLine(product=p, quantity=q, unit_price=Decimal(u)) for p, q, u in lines)
    subtotal = sum((line.amount for line in priced), ZERO)
    shipping = delivery.fee_for(goods=subtotal, pickup=pickup) if priced else ZERO
    return Quote(
        lines=priced,
        subtotal=subtotal,
        shipping=shipping,
        total=subtotal + shipping,
        pickup=pickup,
        delivery=delivery,
    )
