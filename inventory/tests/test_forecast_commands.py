"""manage.py forecast_demand and the nightly task."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory import tasks
from inventory.models import DemandForecast

from .factories import ProductFactory
from .forecast_helpers import load_sales

pytestmark = pytest.mark.django_db


def _product(store, sku):
    yesterday = timezone.localdate() - timedelta(days=1)
    return load_sales(
        ProductFactory(store=store, sku=sku, launch_date=yesterday - timedelta(days=9)), [2] * 10, end=yesterday
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"store": "no-such-store"}, "Unknown store 'no-such-store'"),
        ({"product": "NOPE-1"}, "Unknown SKU 'NOPE-1'"),
        ({"store": "STORE", "product": "THEIRS-1"}, "Unknown SKU 'THEIRS-1' in store"),
        ({"batch_size": 0}, "--batch-size and --jobs must be at least 1"),
    ],
)
def test_bad_input_exits_non_zero_and_changes_nothing(store, other_store, options, message):
    _product(store, "OURS-1")
    _product(other_store, "THEIRS-1")
    if options.get("store") == "STORE":
        options["store"] = store.slug

    with pytest.raises(CommandError, match=message) as exc:
        call_command("forecast_demand", **options, stdout=StringIO())

    assert "nothing was changed" in str(exc.value)
    assert not DemandForecast.objects.exists()


def test_command_forecasts_one_store_with_progress_and_summary(store, other_store):
    ours = [_product(store, "OURS-1"), _product(store, "OURS-2")]
    _product(other_store, "THEIRS-1")
    out = StringIO()

    call_command("forecast_demand", store=store.slug, stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "2/2 products" in text
    assert "Products forecast: 2 of 2" in text
    assert "Models chosen: historic_mean 2" in text
    assert "Time taken:" in text
    assert set(DemandForecast.objects.values_list("product_id", flat=True)) == {p.pk for p in ours}


def test_command_forecasts_one_sku(store):
    product = _product(store, "OURS-1")
    _product(store, "OURS-2")

    call_command("forecast_demand", store=store.slug, product="OURS-1", stdout=StringIO())

    assert list(DemandForecast.objects.values_list("product_id", flat=True)) == [product.pk]


def test_nightly_task_forecasts_every_active_product_and_is_safe_to_repeat(store, other_store):
    products = [_product(store, "OURS-1"), _product(other_store, "THEIRS-1")]
    ProductFactory(store=store, is_active=False)

    assert tasks.forecast_demand_nightly.delay().get() == 2
    assert tasks.forecast_demand_nightly.delay().get() == 2

    assert set(DemandForecast.objects.values_list("product_id", flat=True)) == {p.pk for p in products}


def test_nightly_task_is_scheduled_on_the_forecasting_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-forecast-demand-nightly"]
    assert entry["task"] == tasks.forecast_demand_nightly.name == "inventory.forecast_demand_nightly"
    from helpdesk_project.celery import app

    assert app.amqp.router.route({}, tasks.forecast_demand_nightly.name)["queue"].name == "forecasting"
