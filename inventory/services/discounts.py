"""Discount codes: finding and checking one at checkout, and using it exactly as often as allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from helpdesk_project.templatetags.money import money

from ..models import DiscountCode, Order
from .common import OrderError


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


def discount_code_check(
    *, store_id: int, code: str, customer: User, goods: Decimal, now: datetime | None = None
) -> DiscountCode:
    """The store's code typed as ``code`` if ``customer`` may use it on ``goods`` now, else ``DiscountError``.

    A read: the use itself is counted by ``discount_code_use`` inside the order's transaction.
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
    if found.max_uses_per_customer is not None and _uses_by(found, customer) >= found.max_uses_per_customer:
        raise DiscountError("You have already used this discount code.")
    return found


def _uses_by(code: DiscountCode, customer: User, *, besides: int | None = None) -> int:
    return Order.objects.filter(discount_code=code, customer=customer).exclude(pk=besides).count()


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
    if limit is not None and _uses_by(code, order.customer, besides=order.pk) >= limit:
        raise DiscountError("You have already used this discount code.")
