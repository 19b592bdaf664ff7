"""Forecast back office: scoped to the retailer's store, chart data, draft purchase orders action."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from inventory import services_forecast
from inventory.models import DemandForecast, PurchaseOrder

from .factories import ProductFactory, SupplierFactory
from .forecast_helpers import AS_OF, load_sales

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:inventory_demandforecast_changelist")


def _forecast(store, *, name="Kettle", supplier=None):
    product = load_sales(
        ProductFactory(store=store, name=name, supplier=supplier, lead_time_days=7, launch_date=AS_OF - timedelta(9)),
        [5] * 10,
        on_hand=2,
    )
    services_forecast.demand_forecast_run(products=[product], as_of=AS_OF)
    return DemandForecast.objects.get(product=product)


def test_retailer_lists_only_their_stores_forecasts_and_gets_404_for_another_stores(
    client, retailer, store, other_store
):
    ours = _forecast(store, name="Our kettle")
    theirs = _forecast(other_store, name="Their kettle")
    client.force_login(retailer)

    listing = client.get(CHANGELIST + "?risk=at_risk")
    detail = client.get(reverse("admin:inventory_demandforecast_change", args=[theirs.pk]))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [ours]
    assert ours.at_risk is True
    assert detail.status_code == 404
    assert other_store.name not in listing.content.decode()  # not even in a filter


def test_forecast_page_passes_history_and_forecast_as_json_not_inline_text(client, retailer, store):
    fc = _forecast(store, name='</script><script>alert("x")</script>')
    client.force_login(retailer)

    response = client.get(reverse("admin:inventory_demandforecast_change", args=[fc.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<script>alert("x")' not in html
    assert 'id="forecast-chart-data"' in html
    data = response.context["forecast_chart"]
    assert data["history"][-10:] == [5.0] * 10
    assert len(data["history"]) == 10
    assert data["mean"] == fc.forecast["mean"]
    assert len(data["forecast_days"]) == 28
    assert data["forecast_days"][0] == (AS_OF + timedelta(days=1)).isoformat()
    json.dumps(data)  # what json_script serialises


def test_draft_action_creates_purchase_orders_in_the_retailers_store(client, retailer, store):
    supplier = SupplierFactory(store=store)
    fc = _forecast(store, supplier=supplier)
    client.force_login(retailer)

    response = client.post(CHANGELIST, {"action": "draft_purchase_orders", ACTION_CHECKBOX_NAME: [fc.pk]}, follow=True)

    assert response.status_code == 200
    po = PurchaseOrder.objects.get()
    assert (po.store, po.supplier, po.status, po.created_by) == (store, supplier, "draft", retailer)
    assert po.lines.get().product_id == fc.product_id


def test_draft_action_ignores_another_stores_forecast_ids(client, retailer, store, other_store):
    theirs = _forecast(other_store, supplier=SupplierFactory(store=other_store))
    client.force_login(retailer)

    client.post(CHANGELIST, {"action": "draft_purchase_orders", ACTION_CHECKBOX_NAME: [theirs.pk]}, follow=True)

    assert not PurchaseOrder.objects.exists()


def test_forecasts_are_read_only_in_admin(client, retailer, store):
    fc = _forecast(store)
    client.force_login(retailer)

    response = client.post(reverse("admin:inventory_demandforecast_change", args=[fc.pk]), {"reorder_point": 0})

    assert response.status_code == 403
    fc.refresh_from_db()
    assert fc.reorder_point > 0


@pytest.mark.parametrize("n_products", [2, 6])
def test_forecast_list_query_count_does_not_grow_with_rows(
    client, retailer, store, django_assert_max_num_queries, n_products
):
    for i in range(n_products):
        _forecast(store, name=f"Kettle {i}")
    client.force_login(retailer)

    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == n_products
