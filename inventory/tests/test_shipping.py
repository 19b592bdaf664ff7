"""Delivery fees: the store's rules, shown on the cart, charged on the order, in its email and page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Notification
from inventory import services
from inventory.models import Order, StoreShipping

from .factories import ProductFactory, place_order, with_stock
from .money import assert_adds_up

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "delivery_name": "Casey Customer",
    "delivery_address": "1 Main Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "cod",
}


@pytest.fixture
def shipping(store):
    return StoreShipping.objects.create(
        store=store,
        delivery_fee=Decimal("4.95"),
        free_delivery_threshold=Decimal("50.00"),
        pickup_hours="Monday to Saturday, 9:00-18:00",
    )


@pytest.mark.parametrize(
    ("goods", "pickup", "fee"),
    [
        (Decimal("49.99"), False, Decimal("4.95")),
        (Decimal("50.00"), False, Decimal("0.00")),  # "from €50": the threshold itself is free
        (Decimal("12.00"), True, Decimal("0.00")),  # collecting is free
    ],
)
def test_fee_rules(goods, pickup, fee):
    terms = services.DeliveryTerms(fee=Decimal("4.95"), free_threshold=Decimal("50.00"))

    assert terms.fee_for(goods=goods, pickup=pickup) == fee


def test_a_store_without_rules_delivers_free_and_a_flat_fee_without_threshold_always_applies():
    assert services.DeliveryTerms().fee_for(goods=Decimal("5"), pickup=False) == Decimal("0.00")
    flat = services.DeliveryTerms(fee=Decimal("3.95"))
    assert flat.fee_for(goods=Decimal("5000"), pickup=False) == Decimal("3.95")
    assert flat.missing_for_free(goods=Decimal("5")) is None


def test_order_is_charged_the_fee_below_the_threshold(store, customer, shipping):
    product = with_stock(ProductFactory(store=store, price=Decimal("12.50")), 10)

    order = place_order(customer, (product, 2))

    assert (order.subtotal, order.shipping_total, order.total) == (Decimal("25.00"), Decimal("4.95"), Decimal("29.95"))
    assert_adds_up(order)


def test_order_from_the_threshold_and_pickup_orders_ship_free(store, customer, shipping):
    product = with_stock(ProductFactory(store=store, price=Decimal("25.00")), 10)

    delivered = place_order(customer, (product, 2))
    collected = place_order(customer, (product, 1), payment_method="pickup")

    assert (delivered.shipping_total, delivered.total) == (Decimal("0.00"), Decimal("50.00"))
    assert (collected.shipping_total, collected.total) == (Decimal("0.00"), Decimal("25.00"))
    assert_adds_up(delivered)
    assert_adds_up(collected)


def test_the_database_refuses_a_total_that_does_not_add_up(store, customer):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            store=store,
            customer=customer,
            payment_method="cod",
            delivery_name="x",
            delivery_address="x",
            delivery_postcode="1",
            delivery_city="x",
            subtotal=Decimal("10.00"),
            shipping_total=Decimal("4.95"),
            total=Decimal("10.00"),
        )


def test_shipping_settings_refuse_a_negative_fee(store):
    from django.core.exceptions import ValidationError

    settings_row = StoreShipping(store=store, delivery_fee=Decimal("-1.00"))

    with pytest.raises(ValidationError) as excinfo:
        settings_row.full_clean()

    assert "delivery_fee" in excinfo.value.message_dict
    assert not StoreShipping.objects.exists()


def test_cart_shows_the_fee_before_checkout_and_what_is_missing_for_free_delivery(client, store, shipping):
    product = with_stock(ProductFactory(store=store, price=Decimal("12.50")), 10)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 2})

    response = client.get(reverse("storefront:cart"))

    quotes = response.context["quotes"]
    assert (quotes["delivery"].shipping, quotes["delivery"].total) == (Decimal("4.95"), Decimal("29.95"))
    assert (quotes["pickup"].shipping, quotes["pickup"].total) == (Decimal("0.00"), Decimal("25.00"))
    html = response.content.decode()
    assert 'data-testid="summary-shipping">€4.95<' in html
    assert 'data-testid="summary-total">€29.95<' in html
    assert "Add €25.00 more for free delivery." in html
    assert "Monday to Saturday, 9:00-18:00" in html


def test_checkout_charges_what_the_cart_showed_and_email_and_page_say_so(client, customer, store, shipping):
    client.force_login(customer)
    product = with_stock(ProductFactory(store=store, price=Decimal("12.50")), 10)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    shown = client.get(reverse("storefront:checkout")).context["quotes"]["delivery"].total

    response = client.post(reverse("storefront:checkout"), CHECKOUT)

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.total == shown == Decimal("17.45")
    assert_adds_up(order)
    body = Notification.objects.get(subject__contains=order.number).body
    assert "Items (excl. tax): €12.50\nTax: €0.00\nDelivery: €4.95\nTotal: €17.45" in body
    page = client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-shipping">€4.95<' in page
    assert 'data-testid="order-total">€17.45<' in page


def test_order_api_reports_the_delivery_fee(client, customer, store, shipping):
    product = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 5)
    order = place_order(customer, (product, 1))
    client.force_login(customer)

    data = client.get(f"/api/v1/orders/{order.pk}/").json()

    assert (data["subtotal"], data["shipping_total"], data["total"]) == ("10.00", "4.95", "14.95")
