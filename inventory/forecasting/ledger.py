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
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np
from django.db.models import DateField, F, Func, Sum
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


def _offset_segments(tz: tzinfo, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """UTC offset (seconds) of ``tz`` between ``lo`` and ``hi``: [(segment end in UTC or None, offset)]."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds())

    segments: list[tuple[datetime | None, int]] = []
    cursor, current = lo.astimezone(UTC), offset(lo)
    end = hi.astimezone(UTC)
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if offset(step) != current:
            a, b = cursor, step  # the change lies in (a, b]: bisect to the minute
            while b - a > timedelta(minutes=1):
                mid = a + (b - a) / 2
                a, b = (mid, b) if offset(mid) == current else (a, mid)
            segments.append((b.replace(second=0, microsecond=0), current))
            current = offset(b)
        cursor = step
    segments.append((None, current))
    return segments


class LocalDate(Func):
    """``TruncDate(created_at, tz)`` that SQLite can run natively.

    Django's SQLite backend truncates through a Python function called once per row, which costs
    more than the whole forecast at 10k products x 2 years (about 15 us per ledger row). A
    zone's offset is constant between its daylight-saving changes, so on SQLite the local date
    is ``date(created_at, '+<offset> seconds')`` with the offset chosen by a CASE over the
    changes within the queried window (stored times are UTC text, which compares as text).
    Other databases use ``TruncDate`` unchanged (PostgreSQL's ``AT TIME ZONE``).
    """

    output_field = DateField()

    def __init__(self, expression, *, tz: tzinfo, lo: datetime, hi: datetime):
        super().__init__(expression)
        self.tz, self.lo, self.hi = tz, lo, hi

    def as_sql(self, compiler, connection, **extra_context):
        return TruncDate(*self.get_source_expressions(), tzinfo=self.tz).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        whens, case_params = [], []
        for until, seconds in _offset_segments(self.tz, self.lo, self.hi):
            modifier = f"{seconds:+d} seconds"
            if until is None:
                whens.append(f"ELSE date({column}, %s)")
                case_params += [*params, modifier]
            else:
                whens.append(f"WHEN {column} < %s THEN date({column}, %s)")
                case_params += [*params, until.strftime("%Y-%m-%d %H:%M:%S"), *params, modifier]
        return "CASE " + " ".join(whens) + " END", case_params


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
        .annotate(day=LocalDate("created_at", tz=tz, lo=lo, hi=hi))
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
