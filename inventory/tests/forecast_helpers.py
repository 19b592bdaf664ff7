"""Ledger histories for the forecasting tests, written through the ledger service."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from inventory import services
from inventory.models import Product, StockMovement

AS_OF = date(2026, 11, 20)  # the last complete day in these tests


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def load_sales(product: Product, daily: list[int], *, end: date = AS_OF, on_hand: int = 0) -> Product:
    """Sales of ``daily[i]`` units on consecutive days ending ``end``, after an opening receipt
    sized so that ``on_hand`` is left at the end (the ledger keeps summing to on_hand)."""
    start = end - timedelta(days=len(daily) - 1)
    rows = [
        StockMovement(
            product=product, kind=StockMovement.Kind.RECEIPT, quantity=sum(daily) + on_hand,
            reference="opening", created_at=at(start, 7),
        )
    ]  # fmt: skip
    rows += [
        StockMovement(product=product, kind=StockMovement.Kind.SALE, quantity=-qty, created_at=at(start + timedelta(i)))
        for i, qty in enumerate(daily)
        if qty
    ]
    if sum(daily) + on_hand:
        services.stock_history_load(product=product, movements=rows)
    product.refresh_from_db()
    return product
