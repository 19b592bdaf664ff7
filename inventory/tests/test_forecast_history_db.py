"""Daily demand from the ledger: sales minus returns per local day, zero-filled, one query."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from inventory.forecasting.ledger import ProductHistoryKey, demand_histories
from inventory.models import StockMovement

from .factories import ProductFactory
from .forecast_helpers import AS_OF, at, load_sales

pytestmark = pytest.mark.django_db


def test_history_is_sales_minus_returns_per_local_day_zero_filled(store):
    product = ProductFactory(store=store, launch_date=AS_OF - timedelta(days=4))
    load_sales(product, [3, 0, 2, 0, 1], on_hand=10)
    # A return on the third day, and a sale at 23:30 local time (22:30 UTC in winter) on the last day:
    # it belongs to the local day, not to the UTC one.
    StockMovement.objects.create(product=product, kind="return", quantity=1, created_at=at(AS_OF - timedelta(2)))
    StockMovement.objects.create(product=product, kind="sale", quantity=-4, created_at=at(AS_OF, 23, 30))
    # Receipts and adjustments are not demand; a sale after the last complete day is not history.
    StockMovement.objects.create(product=product, kind="adjustment", quantity=-2, reason="broken", created_at=at(AS_OF))
    StockMovement.objects.create(product=product, kind="sale", quantity=-9, created_at=at(AS_OF + timedelta(1), 0, 30))

    panel = demand_histories([ProductHistoryKey(product.pk, product.launch_date)], end=AS_OF)

    np.testing.assert_array_equal(panel[product.pk], [3, 0, 1, 0, 5])


def test_product_that_never_sold_gets_zeros_from_launch_and_one_not_launched_gets_nothing(store):
    quiet = ProductFactory(store=store, launch_date=AS_OF - timedelta(days=2))
    future = ProductFactory(store=store, launch_date=AS_OF + timedelta(days=3))

    panel = demand_histories(
        [ProductHistoryKey(quiet.pk, quiet.launch_date), ProductHistoryKey(future.pk, future.launch_date)], end=AS_OF
    )

    np.testing.assert_array_equal(panel[quiet.pk], [0, 0, 0])
    assert panel[future.pk].size == 0


def test_sales_before_the_launch_date_extend_the_history_back(store):
    product = ProductFactory(store=store, launch_date=AS_OF)
    load_sales(product, [1, 2, 3])

    panel = demand_histories([ProductHistoryKey(product.pk, product.launch_date)], end=AS_OF)

    np.testing.assert_array_equal(panel[product.pk], [1, 2, 3])


@pytest.mark.parametrize("n_products", [2, 12])
def test_history_build_is_one_query_whatever_the_number_of_products(store, django_assert_num_queries, n_products):
    products = [ProductFactory(store=store, launch_date=AS_OF - timedelta(days=9)) for _ in range(n_products)]
    for i, product in enumerate(products):
        load_sales(product, [i % 3 + 1] * 10)
    keys = [ProductHistoryKey(p.pk, p.launch_date) for p in products]

    with django_assert_num_queries(1):
        panel = demand_histories(keys, end=AS_OF)

    assert sorted(panel) == sorted(p.pk for p in products)
    assert all(panel[p.pk].sum() == (i % 3 + 1) * 10 for i, p in enumerate(products))


def test_local_day_matches_django_truncdate_across_daylight_saving_changes(store):
    from datetime import UTC, datetime

    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from inventory.forecasting.ledger import LocalDate

    product = ProductFactory(store=store)
    # Every 37 minutes around the two 2026 changes in Europe/Amsterdam, plus hours near midnight.
    times = [datetime(2026, 3, 28, 20, tzinfo=UTC) + timedelta(minutes=37 * i) for i in range(200)]
    times += [datetime(2026, 10, 24, 20, tzinfo=UTC) + timedelta(minutes=37 * i) for i in range(200)]
    StockMovement.objects.bulk_create(
        StockMovement(product=product, kind="return", quantity=1, created_at=t) for t in times
    )
    tz = timezone.get_default_timezone()
    lo, hi = datetime(2025, 1, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz)

    rows = StockMovement.objects.annotate(
        ours=LocalDate("created_at", tz=tz, lo=lo, hi=hi), django=TruncDate("created_at", tzinfo=tz)
    ).values_list("created_at", "ours", "django")

    assert len(rows) == 400
    assert [(t, ours) for t, ours, _ in rows] == [(t, django) for t, _, django in rows]
    assert {timezone.localtime(t, tz).date() for t, _, _ in rows} == {ours for _, ours, _ in rows}
