"""What a cart costs: goods, tax, delivery fee and total, computed once for the cart, checkout and order.

One function (``quote``) prices a set of lines for one store, so the cart page, the checkout page
and ``order_place`` can never disagree. Money is ``Decimal`` throughout and every stored amount
is rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from accounts.models import Store

from ..models import Product, StoreShipping, StoreTax, TaxRate

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TAX_PLACES = Decimal("0.0001")


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
class TaxTerms:
    """A store's tax: rates by category id (``None`` = the default), how prices show, rounding."""

    rates: dict[int | None, Decimal] = field(default_factory=dict)
    prices_include_tax: bool = False
    rounding: str = StoreTax.Rounding.LINE

    def rate_for(self, category_id: int | None) -> Decimal:
        return self.rates.get(category_id, self.rates.get(None, ZERO))

    def tax_of(self, amount: Decimal, rate: Decimal) -> Decimal:
        """The tax in (prices incl. tax) or on (excl. tax) ``amount``, rounded as configured."""
        exact = amount * rate / (100 + rate) if self.prices_include_tax else amount * rate / 100
        if self.rounding == StoreTax.Rounding.LINE:
            return to_cents(exact)
        return exact.quantize(TAX_PLACES, rounding=ROUND_HALF_UP)


def tax_terms_for_store(store_id: int) -> TaxTerms:
    """One store's tax terms (two queries)."""
    settings_row = StoreTax.objects.filter(store_id=store_id).first()
    rates = dict(TaxRate.objects.filter(store_id=store_id).values_list("category_id", "rate"))
    if settings_row is None:
        return TaxTerms(rates=rates)
    return TaxTerms(rates=rates, prices_include_tax=settings_row.prices_include_tax, rounding=settings_row.rounding)


def tax_terms_of(store: Store) -> TaxTerms:
    """The tax terms of a store read with ``select_related("tax")`` (one query: its rates)."""
    try:
        settings_row = store.tax
    except StoreTax.DoesNotExist:
        settings_row = None
    rates = dict(TaxRate.objects.filter(store=store).values_list("category_id", "rate"))
    if settings_row is None:
        return TaxTerms(rates=rates)
    return TaxTerms(rates=rates, prices_include_tax=settings_row.prices_include_tax, rounding=settings_row.rounding)


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal
    tax: Decimal
    discount: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        """The line as shown: with tax in a store whose prices include it, without otherwise."""
        return to_cents(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Quote:
    """The money of one would-be order: ``total == subtotal + tax - discount + shipping`` to the cent.

    ``goods`` is the lines as the store shows them, before discount; ``subtotal`` the goods
    without tax (prices incl. tax: the goods minus the tax on what is paid for them).
    """

    lines: tuple[PricedLine, ...]
    goods: Decimal
    subtotal: Decimal
    tax: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal
    pickup: bool
    prices_include_tax: bool
    delivery: DeliveryTerms

    @property
    def missing_for_free_delivery(self) -> Decimal | None:
        return None if self.pickup else self.delivery.missing_for_free(goods=self.goods - self.discount)


def discount_shares(total: Decimal, amounts: Sequence[Decimal]) -> list[Decimal]:
    """``total`` spread over ``amounts`` in proportion, to the cent, summing exactly to ``total``."""
    whole = sum(amounts, ZERO)
    if not amounts or whole <= 0 or total <= 0:
        return [ZERO for _ in amounts]
    shares = [to_cents(total * amount / whole) for amount in amounts[:-1]]
    return [*shares, total - sum(shares, ZERO)]


def quote(
    *,
    lines: Sequence[tuple[Product, int, Decimal]],
    delivery: DeliveryTerms,
    pickup: bool,
    tax: TaxTerms | None = None,
    discount: Callable[[Decimal], Decimal] | None = None,
) -> Quote:
    """Price ``(product, quantity, unit price)`` lines of one store. Pure: reads and writes nothing.

    ``discount`` maps the goods (as shown) to the amount off (``discounts.DiscountOffer``). The
    amount is spread over the lines in proportion and tax is worked out per line on what is left,
    at the rate of the product's category (the store's default rate otherwise), rounded per line
    or once for the order as the store says. The delivery fee carries no tax and is free from the
    threshold on the goods after discount.
    """
    tax = tax or TaxTerms()
    amounts = [to_cents(Decimal(unit_price) * quantity) for _, quantity, unit_price in lines]
    goods = sum(amounts, ZERO)
    off = min(to_cents(discount(goods)), goods) if discount and goods > 0 else ZERO
    priced = []
    for (product, quantity, unit_price), amount, share in zip(
        lines, amounts, discount_shares(off, amounts), strict=True
    ):
        rate = tax.rate_for(product.category_id)
        priced.append(PricedLine(product, quantity, Decimal(unit_price), rate, tax.tax_of(amount - share, rate), share))
    tax_total = to_cents(sum((line.tax for line in priced), ZERO))
    paid = goods - off
    # Prices incl. tax: what is paid (goods - discount) already holds the tax.
    subtotal = paid - tax_total + off if tax.prices_include_tax else goods
    shipping = delivery.fee_for(goods=paid, pickup=pickup) if priced else ZERO
    return Quote(
        lines=tuple(priced),
        goods=goods,
        subtotal=subtotal,
        tax=tax_total,
        discount=off,
        shipping=shipping,
        total=subtotal + tax_total - off + shipping,
        pickup=pickup,
        prices_include_tax=tax.prices_include_tax,
        delivery=delivery,
    )
