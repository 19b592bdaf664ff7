"""Management commands: clear output, non-zero exit and nothing changed on bad input."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Product, StockMovement

from .factories import ProductFactory, with_stock

pytestmark = pytest.mark.django_db


def test_adjust_stock_command(store, capsys):
    product = with_stock(ProductFactory(store=store, sku="A-1", reorder_point=0), 5)

    call_command("adjust_stock", store.slug, "A-1", "-2", reason="count")

    assert "3 on hand now" in capsys.readouterr().out
    assert Product.objects.get(pk=product.pk).on_hand == 3


@pytest.mark.parametrize(
    ("sku", "quantity", "message"),
    [("NOPE", "1", "Unknown SKU 'NOPE'"), ("A-1", "0", "must not be zero"), ("A-1", "-9", "only 5 in stock")],
)
def test_adjust_stock_command_bad_input_changes_nothing(store, sku, quantity, message):
    with_stock(ProductFactory(store=store, sku="A-1"), 5)
    before = StockMovement.objects.count()

    with pytest.raises(CommandError, match=message):
        call_command("adjust_stock", store.slug, sku, quantity, reason="count")

    assert StockMovement.objects.count() == before
    assert Product.objects.get(sku="A-1").on_hand == 5


def test_unknown_sku_of_another_store_is_unknown(store, other_store):
    with_stock(ProductFactory(store=other_store, sku="B-1"), 5)

    with pytest.raises(CommandError, match="Unknown SKU"):
        call_command("adjust_stock", store.slug, "B-1", "1", reason="count")
