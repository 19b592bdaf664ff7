"""seed_demo fills the inventory consistently and is idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from inventory import demo, services
from inventory.models import Order, Product, ProductImage, PurchaseOrder, StockAlert, StockMovement

pytestmark = pytest.mark.django_db


def test_seed_demo_is_consistent_and_idempotent(monkeypatch, capsys, settings, tmp_path):
    monkeypatch.setattr(demo, "HISTORY_DAYS", 60)  # a shorter year keeps the test quick
    settings.MEDIA_ROOT = str(tmp_path / "media")

    call_command("seed_demo")
    counts = (Product.objects.count(), StockMovement.objects.count(), PurchaseOrder.objects.count())
    call_command("seed_demo")

    assert "nothing changed" in capsys.readouterr().out
    assert (Product.objects.count(), StockMovement.objects.count(), PurchaseOrder.objects.count()) == counts
    assert counts[0] == 200
    # Every product has one picture, drawn once (the second run added none).
    assert ProductImage.objects.count() == 200
    assert ProductImage.objects.filter(width=800, height=600).exclude(alt_text="").count() == 200
    assert Product.objects.values("store").distinct().count() == 3
    assert services.stock_mismatches() == []
    assert StockMovement.objects.filter(kind="sale").count() > 1000
    low = Product.objects.filter(on_hand__lte=F("reorder_point"), movements__isnull=False).distinct()
    assert low.exists()
    assert StockAlert.objects.filter(status="open").count() == low.count()
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) == {"draft", "ordered", "received"}
    assert Order.objects.filter(customer__email="customer@stockdesk.local").count() == 2
    duplicates = Product.objects.values("store", "name").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()


def test_history_load_refuses_a_product_with_a_ledger(store):
    from .factories import ProductFactory, with_stock

    product = with_stock(ProductFactory(store=store), 3)

    assert services.stock_history_load(product=product, movements=[]) == 0
    assert Product.objects.get(pk=product.pk).on_hand == 3
