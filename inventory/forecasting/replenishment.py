"""Reorder point, order suggestion and stock-out date from a forecast. Pure: no database.

Days are counted from ``as_of``, the last day of the demand history: day k is ``as_of + k`` and
``forecast[k - 1]`` its expected demand. An order placed on day 1 arrives on day
``1 + lead_time_days``, so the lead time covers days 1..lead_time_days. Formulas (also in
docs/forecasting.md):

    lead-time demand  LTD = sum of forecast over days 1..L
    safety stock      SS  = z(service level) * sigma_daily * sqrt(L)     (z one-sided normal)
    reorder point     ROP = ceil(LTD + SS)
    position          IP  = on_hand + all open purchase-order quantities
    order-up-to       S   = sum of forecast over days 1..L+R + SS          (R = review_days)
    suggestion        IP <= ROP and S > IP:  q = ceil(S - IP), raised to the supplier minimum,
                      then rounded up to a whole number of packs; otherwise 0
    stock-out date    first day whose cumulative expected demand exceeds on hand plus the
                      purchase orders arrived by then (None if not within the forecast)
    at risk           stock-out date <= as_of + L (it comes before an order placed now arrives)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

_EPS = 1e-9


@dataclass(frozen=True)
class Incoming:
    """An open purchase-order line. ``expected=None``: assumed to arrive a lead time from now."""

    quantity: int
    expected: date | None = None


@dataclass(frozen=True)
class ReplenishmentPlan:
    lead_time_days: int
    service_level: float
    lead_time_demand: float
    safety_stock: float
    reorder_point: int
    inventory_position: int
    order_up_to: float
    suggested_quantity: int
    stockout_date: date | None
    at_risk: bool


def demand_over(forecast: np.ndarray, days: int, season_length: int = 7) -> float:
    """Expected demand over days 1..days; past the forecast, its last week repeats on average."""
    if days <= 0:
        return 0.0
    f = np.asarray(forecast, dtype=float)
    total = float(f[:days].sum())
    extra = days - f.size
    if extra > 0:
        total += extra * float(f[-min(season_length, f.size) :].mean())
    return total


def _validate(
    forecast: np.ndarray, sigma_daily: float, on_hand: int, lead_time_days: int, incoming: Sequence[Incoming],
    service_level: float, review_days: int, min_order_qty: int, pack_size: int,
) -> None:  # fmt: skip
    if forecast.ndim != 1 or forecast.size == 0 or not np.isfinite(forecast).all() or (forecast < 0).any():
        raise ValueError("forecast must be a non-empty sequence of non-negative numbers")
    if not math.isfinite(sigma_daily) or sigma_daily < 0:
        raise ValueError("sigma_daily must be a non-negative number")
    if not 0.5 <= service_level < 1:
        raise ValueError("service level must be at least 0.5 and below 1 (e.g. 0.95)")
    for name, value, low in (
        ("on_hand", on_hand, 0), ("lead_time_days", lead_time_days, 0), ("review_days", review_days, 0),
        ("min_order_qty", min_order_qty, 0), ("pack_size", pack_size, 1),
    ):  # fmt: skip
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    if any(int(i.quantity) != i.quantity or i.quantity < 0 for i in incoming):
        raise ValueError("open purchase-order quantities must be whole numbers >= 0")


def replenishment_plan(
    *,
    forecast: Sequence[float] | np.ndarray,
    sigma_daily: float,
    as_of: date,
    on_hand: int,
    lead_time_days: int,
    incoming: Sequence[Incoming] = (),
    service_level: float = 0.95,
    review_days: int = 7,
    min_order_qty: int = 0,
    pack_size: int = 1,
) -> ReplenishmentPlan:
    """Compute the plan for one product (formulas in the module docstring). Raises ValueError on
    impossible input (negative stock, service level outside [0.5, 1), pack size < 1...)."""
    f = np.asarray(forecast, dtype=float)
    _validate(f, sigma_daily, on_hand, lead_time_days, incoming, service_level, review_days, min_order_qty, pack_size)
    L = int(lead_time_days)
    z = NormalDist().inv_cdf(service_level)
    ltd = demand_over(f, L)
    safety = z * sigma_daily * math.sqrt(L)
    rop = math.ceil(ltd + safety - _EPS)
    position = int(on_hand) + sum(int(i.quantity) for i in incoming)
    order_up_to = demand_over(f, L + int(review_days)) + safety

    quantity = 0
    if position <= rop and order_up_to - position > _EPS:
        quantity = max(math.ceil(order_up_to - position - _EPS), int(min_order_qty))
        quantity = math.ceil(quantity / pack_size) * int(pack_size)

    stockout = _stockout_date(f, as_of=as_of, on_hand=int(on_hand), incoming=incoming, lead_time_days=L)
    at_risk = stockout is not None and stockout <= as_of + timedelta(days=L)
    return ReplenishmentPlan(
        lead_time_days=L, service_level=service_level, lead_time_demand=ltd, safety_stock=safety,
        reorder_point=rop, inventory_position=position, order_up_to=order_up_to, suggested_quantity=quantity,
        stockout_date=stockout, at_risk=at_risk,
    )  # fmt: skip


def _stockout_date(
    forecast: np.ndarray, *, as_of: date, on_hand: int, incoming: Sequence[Incoming], lead_time_days: int
) -> date | None:
    arrivals = np.zeros(forecast.size + 1)
    for line in incoming:
        # An overdue order is counted as arriving tomorrow; one without a date, a lead time from now.
        day = (line.expected - as_of).days if line.expected is not None else 1 + lead_time_days
        day = max(day, 1)
        if day <= forecast.size:
            arrivals[day] += line.quantity
    stock = on_hand + np.cumsum(arrivals[1:]) - np.cumsum(forecast)
    short = np.flatnonzero(stock < -_EPS)
    if short.size == 0:
        return None
    return as_of + timedelta(days=int(short[0]) + 1)
