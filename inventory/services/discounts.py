"""Discount codes: finding and checking one at checkout, and using it exactly as often as allowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from helpdesk_project.templatetags.money import money

from ..models import DiscountCode, Order, Product
from .common import Buyer, OrderError
from .pricing import ZERO, to_cents


class DiscountError(OrderError):
    """The discount code cannot be used (unknown, expired, used up…). Nothing changed."""


@dataclass(frozen=True)
class DiscountOffer:
    """What a code takes off goods worth ``goods`` (as shown); ``pricing.quote`` caps it at the goods."""

    code: DiscountCode

    def __call__(self, goods: Decimal) -> Decimal:
        if self.code.kind == DiscountCode.Kind.PERCENT:
            return goods * self.code.value / 100
        return self.code.value


def discount_code_for_lines(
    *, store_id: int, code: str, buyer: Buyer | None, lines: Sequence[tuple[Product, int, Decimal]]
) -> DiscountCode | None:
    """The code typed for ``(product, quantity, unit price)`` lines, checked; None if none was typed.

    The one check behind the cart's preview and ``order_place``: the same goods, the same reasons.
    """
    if not (code or "").strip():
        return None
    goods = sum((to_cents(Decimal(price) * quantity) for _, quantity, price in lines), ZERO)
    return discount_code_check(store_id=store_id, code=code, buyer=buyer, goods=goods)


def discount_code_check(
    *, store_id: int, code: str, buyer: Buyer | None, goods: Decimal, now: datetime | None = None
) -> DiscountCode:
    """The store's code typed as ``code`` if ``buyer`` may use it on ``goods`` now, else ``DiscountError``.

    ``buyer`` None means not known yet (a guest's cart before checkout): the per-customer limit is
    then left to checkout, where the email is known. A read: the use itself is counted by
    ``discount_code_use`` inside the order's transaction.
    """
    now = now or timezone.now()
    typed = (code or "").strip()
    found = DiscountCode.objects.filter(store_id=store_id, code__iexact=typed).first() if typed else None
    if found is None or not found.is_active:
        raise DiscountError("There is no such discount code at this shop.")
    if now < found.valid_from:
        raise DiscountError(f"This discount code is valid from {timezone.localtime(found.valid_from):%d %B %Y}.")
    if found.valid_until is not None and now >= found.valid_until:
        raise DiscountError("This discount code has expired.")
    if found.minimum_basket is not None and goods < found.minimum_basket:
        raise DiscountError(
            f"This code needs goods of at least {money(found.minimum_basket)}; yours come to {money(goods)}."
        )
    if found.max_uses is not None and found.times_used >= found.max_uses:
        raise DiscountError("This discount code has been used up.")
    limit = found.max_uses_per_customer
    if limit is not None and buyer is not None and _uses_by(found, buyer) >= limit:
        raise DiscountError("You have already used this discount code.")
    return found


def _uses_by(code: DiscountCode, buyer: Buyer, *, besides: int | None = None) -> int:
    """Orders with ``code`` by this person: their account's, and any placed with their email as a
    guest or by an account of that email, so checking out as a guest does not renew the limit."""
    same = Q(guest_email__iexact=buyer.email) | Q(customer__email__iexact=buyer.email)
    if buyer.customer is not None:
        same |= Q(customer=buyer.customer)
    return Order.objects.filter(same, discount_code=code).exclude(pk=besides).count()


def discount_code_use(*, code: DiscountCode, order: Order) -> None:
    """Count one use of ``code`` by ``order`` (call inside the order's transaction).

    A conditional UPDATE (``times_used < max_uses``, F expression): of two checkouts racing for
    the last use, one updates the row and the other updates nothing and gets ``DiscountError``,
    on PostgreSQL (the second UPDATE waits for the row lock and re-checks) and on SQLite (one
    writer at a time). The per-customer limit is checked after that UPDATE, i.e. under the
    row's lock, so one customer's two checkouts cannot both pass it either.
    """
    used = (
        DiscountCode.objects.filter(pk=code.pk, is_active=True)
        .filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))
        .update(times_used=F("times_used") + 1)
    )
    if not used:
        raise DiscountError("This discount code has been used up.")
    limit = code.max_uses_per_customer
    buyer = Buyer(customer=order.customer, email=order.buyer_email)
    if limit is not None and _uses_by(code, buyer, besides=order.pk) >= limit:
        raise DiscountError("You have already used this discount code.")
