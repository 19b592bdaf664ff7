"""The cart's discount preview: the figures and the reasons checkout will give, from the same check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import DiscountCode, Order, StoreShipping

from .factories import ProductFactory, with_stock
from .money import assert_adds_up

pytestmark = pytest.mark.django_db

GUEST = {
    "email": "guest@example.com",
    "delivery_name": "Gale Guest",
    "delivery_address": "3 Side Street",
    "delivery_postcode": "1012 AB",
    "delivery_city": "Amsterdam",
    "payment_method": "cod",
}


def code(store, **kwargs):
    return DiscountCode.objects.create(
        store=store, **{"code": "SAVE10", "kind": "percent", "value": Decimal(10), **kwargs}
    )


@pytest.fixture
def basket(client, store):
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"))
    product = with_stock(ProductFactory(store=store, price=Decimal("19.99")), 10)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 3})
    return product


def preview(client, typed):
    client.post(reverse("storefront:cart_discount"), {"code": typed})
    return client.get(reverse("storefront:cart"))


def test_the_cart_shows_what_the_code_takes_off_and_checkout_charges_exactly_that(client, store, basket):
    code(store)

    response = preview(client, " save10 ")

    quote = response.context["quotes"]["delivery"]
    # 59.97 * 10% = 5.997 -> 6.00 off; 53.97 + 4.95 delivery
    assert (quote.goods, quote.discount, quote.shipping, quote.total) == (
        Decimal("59.97"),
        Decimal("6.00"),
        Decimal("4.95"),
        Decimal("58.92"),
    )
    page = response.content.decode()
    assert "Code SAVE10 applies" in page
    assert 'data-testid="summary-discount">-€6.00' in page
    assert client.get(reverse("storefront:checkout")).context["form"].initial["discount_code"] == "save10"

    client.post(reverse("storefront:checkout"), {**GUEST, "discount_code": "save10"})

    order = Order.objects.get()
    assert (order.discount_total, order.total) == (quote.discount, quote.total)
    assert_adds_up(order)


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (
            {"valid_from": timezone.now() - timedelta(days=9), "valid_until": timezone.now() - timedelta(days=1)},
            "This discount code has expired.",
        ),
        ({"minimum_basket": Decimal("100.00")}, "This code needs goods of at least €100.00; yours come to €59.97."),
        ({"max_uses": 5, "times_used": 5}, "This discount code has been used up."),
    ],
)
def test_the_cart_says_why_a_code_is_refused_and_checkout_refuses_it_the_same(client, store, basket, limits, reason):
    code(store, **limits)

    response = preview(client, "SAVE10")

    assert response.context["discount_error"] == reason
    assert response.context["quotes"]["delivery"].discount == Decimal("0.00")
    assert 'data-testid="summary-discount"' not in response.content.decode()
    refused = client.post(reverse("storefront:checkout"), {**GUEST, "discount_code": "SAVE10"})
    assert refused.context["form"].errors["discount_code"] == [reason]
    assert not Order.objects.exists()


def test_an_unknown_code_and_removing_it(client, store, basket):
    assert preview(client, "NOPE").context["discount_error"] == "There is no such discount code at this shop."

    client.post(reverse("storefront:cart_discount"), {"code": "NOPE", "remove": "1"})
    response = client.get(reverse("storefront:cart"))

    assert response.context["discount_error"] == ""
    assert client.session["cart"]["discount_code"] == ""


def test_a_customer_sees_the_per_customer_limit_before_checkout(client, store, basket, customer):
    once = code(store, max_uses_per_customer=1)
    client.force_login(customer)
    client.post(reverse("storefront:cart_add"), {"product": basket.pk, "quantity": 1})
    client.post(
        reverse("storefront:checkout"),
        {**{k: v for k, v in GUEST.items() if k != "email"}, "discount_code": "SAVE10"},
    )
    assert Order.objects.get().discount_code == once
    client.post(reverse("storefront:cart_add"), {"product": basket.pk, "quantity": 1})

    assert preview(client, "SAVE10").context["discount_error"] == "You have already used this discount code."


def test_the_cart_page_query_count_does_not_grow_with_lines(client, store, basket, django_assert_max_num_queries):
    code(store)
    for _ in range(5):
        product = with_stock(ProductFactory(store=store), 3)
        client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    client.post(reverse("storefront:cart_discount"), {"code": "SAVE10"})

    with django_assert_max_num_queries(12):
        assert client.get(reverse("storefront:cart")).status_code == 200


# --- API: POST /api/v1/quotes/ -----------------------------------------------------------


def test_api_quote_previews_the_code_and_matches_the_order_placed(store, basket):
    from rest_framework.test import APIClient

    code(store)
    client = APIClient()

    response = client.post(
        "/api/v1/quotes/", {"items": [{"product": basket.pk, "quantity": 3}], "discount_code": "save10"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["discount_code"] == "SAVE10"
    assert (body["delivery"]["discount"], body["delivery"]["shipping"], body["delivery"]["total"]) == (
        "6.00",
        "4.95",
        "58.92",
    )
    assert body["pickup"]["total"] == "53.97"
    placed = client.post(
        "/api/v1/guest-orders/",
        {
            "items": [{"product": basket.pk, "quantity": 3, "unit_price": "19.99"}],
            "guest_email": "g@example.com",
            **{k: v for k, v in GUEST.items() if k.startswith("delivery_")},
            "payment_method": "cod",
            "discount_code": "save10",
        },
        format="json",
    )
    assert placed.json()["order"]["total"] == body["delivery"]["total"]
    assert_adds_up(Order.objects.get())


def test_api_quote_refuses_a_used_up_code_with_the_reason(store, basket):
    from rest_framework.test import APIClient

    code(store, max_uses=1, times_used=1)

    response = APIClient().post(
        "/api/v1/quotes/", {"items": [{"product": basket.pk, "quantity": 1}], "discount_code": "SAVE10"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "This discount code has been used up."
    assert DiscountCode.objects.get().times_used == 1


def test_api_quote_of_an_unknown_product_is_400(store, basket):
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/quotes/", {"items": [{"product": 999999, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "A product in your cart is not available."
