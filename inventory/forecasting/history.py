"""Turn aggregated ledger rows into the zero-filled daily histories the engine takes.

The database side (issue 6 item 1) runs one set-based query per store, e.g. net quantity per
(product, day) for sales minus returns, and hands the rows here; this module does the zero-filling
and the alignment in numpy, so no per-product query or Python loop over days is needed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import date, timedelta

import numpy as np


def daily_demand_panel(
    rows: Iterable[tuple[Hashable, date, float]],
    *,
    end: date,
    starts: Mapping[Hashable, date] | None = None,
    max_days: int = 730,
) -> dict[Hashable, np.ndarray]:
    """Daily net demand per product, oldest first, ending with ``end`` (the last complete day).

    ``rows``: (product key, day, net quantity sold that day); several rows for the same day add up,
    days without a row are zero. ``starts``: first day of each product's history (launch date); a
    product listed there with no rows gets all zeros (it exists but never sold), a product only in
    ``rows`` starts at its first row. Histories are cut to the last ``max_days`` days; rows outside
    the window are ignored. A product whose start is after ``end`` gets an empty history.
    """
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    window_start = end - timedelta(days=max_days - 1)
    index: dict[Hashable, int] = {}
    first_day: dict[Hashable, date] = {}
    idx: list[int] = []
    off: list[int] = []
    qty: list[float] = []
    for key, day, quantity in rows:
        if key not in index:
            index[key] = len(index)
        if key not in first_day or day < first_day[key]:
            first_day[key] = day
        offset = (day - window_start).days
        if 0 <= offset < max_days:
            idx.append(index[key])
            off.append(offset)
            qty.append(float(quantity))
    for key in starts or {}:
        index.setdefault(key, len(index))
    matrix = np.zeros((len(index), max_days))
    np.add.at(matrix, (np.asarray(idx, dtype=np.intp), np.asarray(off, dtype=np.intp)), np.asarray(qty))

    panel: dict[Hashable, np.ndarray] = {}
    for key, i in index.items():
        start = (starts or {}).get(key) or first_day.get(key, end + timedelta(days=1))
        first = min(max((start - window_start).days, 0), max_days)
        panel[key] = matrix[i, first:].copy()
    return panel
