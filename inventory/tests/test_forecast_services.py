"""Forecast run and draft purchase orders, through the database (services_forecast)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory import services_forecast
from inventory.forecasting import PanelForecast
from inventory.models import DemandForecast, PurchaseOrder, PurchaseOrderLine, ReplenishmentSettings

from .factories import ProductFactory, PurchaseOrderFactory, PurchaseOrderLineFactory, SupplierFactory
from .forecast_helpers import AS_OF, load_sales

pytestmark = pytest.mark.django_db


def _worked_example_product(store):
    """Docs' worked example: 4/day with sigma 2, lead time 9, 30 on hand, 10 arriving on day 5,
    supplier minimum 20 in packs of 12. Two weeks of 2, 6, 2, 6... give mean 4 and std 2 (short
    history: the average so far, sigma = max(std, sqrt(mean)) = 2)."""
    supplier = SupplierFactory(store=store, min_order_qty=20, pack_size=12)
    product = ProductFactory(store=store, supplier=supplier, lead_time_days=9, launch_date=AS_OF - timedelta(days=13))
    load_sales(product, [2, 6] * 7, on_hand=30)
    po = PurchaseOrderFactory(
        store=store, supplier=supplier, status=PurchaseOrder.Status.ORDERED, expected_date=AS_OF + timedelta(days=5)
    )
    PurchaseOrderLineFactory(purchase_order=po, product=product, quantity_ordered=10)
    return product


def test_worked_example_reorder_point_and_suggested_quantity_are_exact(store):
    product = _worked_example_product(store)
    # A draft PO is not on order yet: it must not count in the inventory position.
    PurchaseOrderLineFactory(purchase_order__store=store, product=product, quantity_ordered=99)

    summary = services_forecast.demand_forecast_run(store=store, as_of=AS_OF)

    fc = DemandForecast.objects.get(product=product)
    assert (fc.status, fc.model, fc.as_of, fc.horizon_days) == ("short_history", "historic_mean", AS_OF, 28)
    assert fc.forecast["mean"] == [4.0] * 28
    assert fc.sigma_daily == pytest.approx(2.0)
    assert (fc.on_hand, fc.on_order, fc.lead_time_days) == (30, 10, 9)
    assert fc.lead_time_demand == pytest.approx(36.0)
    assert fc.safety_stock == pytest.approx(9.869, abs=1e-3)  # 1.645 * 2 * sqrt(9)
    assert fc.reorder_point == 46  # ceil(36 + 9.87)
    # order-up-to 64 + 9.87 = 73.87; 73.87 - 40 -> 34, above the minimum 20, packs of 12 -> 36
    assert fc.suggested_quantity == 36
    assert fc.stockout_date == AS_OF + timedelta(days=11)  # 30 + 10 (day 5) runs out on day 11
    assert fc.at_risk is False
    assert summary.products == 1
    assert summary.failures == {}


def test_store_service_level_changes_the_safety_stock(store):
    product = _worked_example_product(store)
    ReplenishmentSettings.objects.create(store=store, service_level="0.990")

    services_forecast.demand_forecast_run(store=store, as_of=AS_OF)

    fc = DemandForecast.objects.get(product=product)
    assert fc.safety_stock == pytest.approx(2.3263 * 2 * 3, abs=1e-3)
    assert fc.reorder_point == 50  # ceil(36 + 13.96)


def test_no_sales_single_sale_and_new_products_get_a_sensible_forecast_never_negative(store):
    supplier = SupplierFactory(store=store)
    never_sold = ProductFactory(store=store, supplier=supplier, launch_date=AS_OF - timedelta(days=200))
    single_sale = load_sales(
        ProductFactory(store=store, supplier=supplier, launch_date=AS_OF - timedelta(days=199)),
        [0] * 120 + [1] + [0] * 79,
        on_hand=5,
    )
    launched_last_week = load_sales(
        ProductFactory(store=store, supplier=supplier, launch_date=AS_OF - timedelta(days=6)),
        [3, 1, 0, 2, 5, 1, 2],
        on_hand=4,
    )
    launched_today = ProductFactory(store=store, supplier=supplier, launch_date=AS_OF + timedelta(days=1))

    summary = services_forecast.demand_forecast_run(store=store, as_of=AS_OF)

    rows = {fc.product_id: fc for fc in DemandForecast.objects.all()}
    assert summary.failures == {}
    assert (rows[never_sold.pk].status, rows[never_sold.pk].model) == ("no_sales", "zero")
    assert rows[never_sold.pk].suggested_quantity == 0
    assert rows[launched_today.pk].status == "no_history"
    assert rows[launched_today.pk].message.startswith("not enough history")
    assert rows[single_sale.pk].status == "ok"
    assert rows[launched_last_week.pk].status == "short_history"
    assert rows[launched_last_week.pk].forecast["mean"][0] == pytest.approx(2.0)  # 14 units in 7 days
    for fc in rows.values():
        assert min(fc.forecast["mean"] + fc.forecast["lo"]) >= 0
        assert fc.reorder_point >= 0
        assert fc.suggested_quantity >= 0
        assert fc.sigma_daily >= 0


def test_one_failing_product_is_reported_and_the_others_are_stored(store, monkeypatch):
    good = load_sales(ProductFactory(store=store, launch_date=AS_OF - timedelta(days=9)), [1] * 10)
    bad = load_sales(ProductFactory(store=store, launch_date=AS_OF - timedelta(days=9)), [2] * 10)
    real = services_forecast.forecast_panel

    def failing_for_bad(series, **kwargs):
        panel = real({k: v for k, v in series.items() if k != bad.pk}, **kwargs)
        return PanelForecast(results=panel.results, failures={bad.pk: "ValueError: boom"})

    monkeypatch.setattr(services_forecast, "forecast_panel", failing_for_bad)

    summary = services_forecast.demand_forecast_run(store=store, as_of=AS_OF)

    assert summary.failures == {f"{store.slug}/{bad.sku}": "ValueError: boom"}
    assert DemandForecast.objects.get(product=bad).status == "failed"
    assert DemandForecast.objects.get(product=good).status == "short_history"


def test_rerun_replaces_the_row_and_batches_cover_every_product(store):
    products = [
        load_sales(ProductFactory(store=store, launch_date=AS_OF - timedelta(days=9)), [1] * 10) for _ in range(5)
    ]

    services_forecast.demand_forecast_run(store=store, as_of=AS_OF, batch_size=2)
    summary = services_forecast.demand_forecast_run(store=store, as_of=AS_OF, batch_size=2)

    assert summary.products == 5
    assert DemandForecast.objects.filter(product__in=products).count() == 5


def test_run_query_count_does_not_grow_with_the_number_of_products(store, django_assert_max_num_queries):
    for _ in range(12):
        load_sales(ProductFactory(store=store, launch_date=AS_OF - timedelta(days=9)), [1] * 10)

    # products, settings, ledger, open PO lines, the upsert (+ savepoint/transaction bookkeeping)
    with django_assert_max_num_queries(8):
        services_forecast.demand_forecast_run(store=store, as_of=AS_OF)


# --- Draft purchase orders ------------------------------------------------------------------


def _needs_order(store, supplier, *, sku_days=(5, 5, 5, 5, 5, 5, 5, 5, 5, 5)):
    return load_sales(
        ProductFactory(store=store, supplier=supplier, lead_time_days=7, launch_date=AS_OF - timedelta(days=9)),
        list(sku_days),
        on_hand=2,
    )


def test_draft_purchase_orders_one_per_supplier_in_the_store_and_not_twice(store, other_store, retailer):
    first, second = SupplierFactory(store=store, name="A supplier"), SupplierFactory(store=store, name="B supplier")
    a1, a2, b1 = _needs_order(store, first), _needs_order(store, first), _needs_order(store, second)
    no_supplier = _needs_order(store, None)
    theirs = _needs_order(other_store, SupplierFactory(store=other_store))
    services_forecast.demand_forecast_run(as_of=AS_OF)
    today = AS_OF + timedelta(days=1)

    result = services_forecast.purchase_orders_draft_from_forecasts(
        store=store, actor=retailer, product_ids=[a1.pk, a2.pk, b1.pk, no_supplier.pk, theirs.pk], today=today
    )

    assert [po.supplier for po in result.purchase_orders] == [first, second]
    assert {po.store_id for po in result.purchase_orders} == {store.pk}
    assert all(po.status == "draft" and po.created_by == retailer for po in result.purchase_orders)
    lines = {ln.product_id: ln for ln in PurchaseOrderLine.objects.all()}
    assert set(lines) == {a1.pk, a2.pk, b1.pk}
    expected = {p.pk: DemandForecast.objects.get(product=p).suggested_quantity for p in (a1, a2, b1)}
    assert {pk: ln.quantity_ordered for pk, ln in lines.items()} == expected
    assert all(q > 0 for q in expected.values())
    assert result.skipped == {no_supplier.sku: "no supplier"}
    assert result.purchase_orders[0].expected_date == today + timedelta(days=7)

    again = services_forecast.purchase_orders_draft_from_forecasts(store=store, actor=retailer, today=today)

    assert again.purchase_orders == []
    assert PurchaseOrder.objects.count() == 2
    assert again.skipped[a1.sku] == "already on a draft purchase order"
    assert not PurchaseOrder.objects.filter(store=other_store).exists()


def test_draft_counts_goods_ordered_since_the_forecast(store, retailer):
    supplier = SupplierFactory(store=store)
    product = _needs_order(store, supplier)
    services_forecast.demand_forecast_run(store=store, as_of=AS_OF)
    po = PurchaseOrderFactory(
        store=store, supplier=supplier, status=PurchaseOrder.Status.ORDERED, expected_date=AS_OF + timedelta(days=2)
    )
    PurchaseOrderLineFactory(purchase_order=po, product=product, quantity_ordered=500)

    result = services_forecast.purchase_orders_draft_from_forecasts(
        store=store, actor=retailer, today=AS_OF + timedelta(days=1)
    )

    assert result.purchase_orders == []
    assert PurchaseOrder.objects.filter(status="draft").count() == 0
