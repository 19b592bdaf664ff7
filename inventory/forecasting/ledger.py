"""Daily demand histories read from the stock ledger (the Django side of ``history.py``).

Kept out of ``inventory.forecasting``'s ``__init__`` on purpose: the engine modules stay free of
Django (benchmarks and worker processes import them alone); import this module explicitly.

Demand = sales minus returns per local day, so one set-based query per batch of products does the
work: ``GROUP BY product, TruncDate(created_at, store time zone)`` over sale and return rows.
Zero-filling happens in numpy (``daily_demand_panel``), never one query per product or per day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import numpy as np
from django.db.models import F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory.models import StockMovement

from .history import daily_demand_panel

HISTORY_DAYS = 730  # two years: enough for the backtest and a yearly swell, bounded work per product
DEMAND_KINDS = (StockMovement.Kind.SALE, StockMovement.Kind.RETURN)


@dataclass(frozen=True)
class ProductHistoryKey:
    """What the history build needs to know about a product (no model instance required)."""

    product_id: int
    launch_date: date


def last_complete_day(*, tz: tzinfo | None = None, now: datetime | None = None) -> date:
    """Yesterday in the store's time zone: today's sales are not complete yet."""
    tz = tz or timezone.get_default_timezone()
    return timezone.localtime(now or timezone.now(), tz).date() - timedelta(days=1)


def demand_rows(
    product_ids: Sequence[int], *, start: date, end: date, tz: tzinfo | None = None
) -> Iterable[tuple[int, date, int]]:
    """(product id, local day, net quantity sold) for ``start..end``; one query, grouped in the database.

    Sales are negative ledger rows and returns positive ones, so demand is ``-sum(quantity)``.
    """
    tz = tz or timezone.get_default_timezone()
    lo = datetime.combine(start, time.min, tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return (
        StockMovement.objects.filter(
            product_id__in=list(product_ids), kind__in=DEMAND_KINDS, created_at__gte=lo, created_at__lt=hi
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("product_id", "day")
        .annotate(qty=Sum(-F("quantity")))
        .order_by()
        .values_list("product_id", "day", "qty")
    )


def demand_histories(
    products: Sequence[ProductHistoryKey], *, end: date, tz: tzinfo | None = None, max_days: int = HISTORY_DAYS
) -> dict[int, np.ndarray]:
    """Zero-filled daily net demand per product id, oldest first, ending with ``end``.

    A product's history starts at its launch date, or at its first sale if it sold earlier (data
    loaded from an older system), and at most ``max_days`` back. Exactly one database query,
    whatever the number of products; a product launched after ``end`` gets an empty history.
    """
    if not products:
        return {}
    start = end - timedelta(days=max_days - 1)
    rows = list(demand_rows([p.product_id for p in products], start=start, end=end, tz=tz))
    first_sale: dict[int, date] = {}
    for product_id, day, _qty in rows:
        if product_id not in first_sale or day < first_sale[product_id]:
            first_sale[product_id] = day
    starts = {p.product_id: min(p.launch_date, first_sale.get(p.product_id, p.launch_date)) for p in products}
    return daily_demand_panel(rows, end=end, starts=starts, max_days=max_days)
