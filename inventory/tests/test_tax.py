"""Tax: rates per category and store, prices shown incl. or excl. tax, rounded per line or per order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Notification
from inventory import services
from inventory.models import StoreShipping, StoreTax, TaxRate

from .factories import CategoryFactory, ProductFactory, place_order, with_stock
from .money import assert_adds_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def books():
    return CategoryFactory(name="Books", slug="books")


def tax_store(store, books, *, include: bool, rounding: str = "line") -> None:
    StoreTax.objects.create(store=store, prices_include_tax=include, rounding=rounding)
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))
    TaxRate.objects.create(store=store, category=books, rate=Decimal("9"))


def test_prices_excluding_tax_add_tax_per_line_at_the_category_rate(store, customer, books):
    tax_store(store, books, include=False)
    lamp = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 5)
    novel = with_stock(ProductFactory(store=store, price=Decimal("7.99"), category=books), 5)

    order = place_order(customer, (lamp, 1), (novel, 3))

    taxes = {line.product_id: (line.tax_rate, line.tax) for line in order.lines.all()}
    assert taxes == {lamp.pk: (Decimal("21.00"), Decimal("2.1000")), novel.pk: (Decimal("9.00"), Decimal("2.1600"))}
    # 23.97 * 9% = 2.1573 -> 2.16 on its own line
    assert (order.subtotal, order.tax_total, order.total) == (Decimal("33.97"), Decimal("4.26"), Decimal("38.23"))
    assert order.prices_include_tax is False
    assert_adds_up(order)


def test_prices_including_tax_keep_the_total_and_show_the_tax_inside(store, customer, books):
    tax_store(store, books, include=True)
    lamp = with_stock(ProductFactory(store=store, price=Decimal("12.10")), 5)

    order = place_order(customer, (lamp, 1))

    # 12.10 incl. 21% = 10.00 + 2.10
    assert (order.goods, order.subtotal, order.tax_total, order.total) == (
        Decimal("12.10"),
        Decimal("10.00"),
        Decimal("2.10"),
        Decimal("12.10"),
    )
    assert_adds_up(order)


def test_rounding_once_per_order_differs_from_per_line_by_the_cents_it_should(store, other_store, customer, books):
    # Three lines of 0.10 at 9% excl.: per line 0.01 each (0.009 -> 0.01) = 0.03; once: 0.027 -> 0.03;
    # and with 0.05 lines: per line 0.0045 -> 0.00 each = 0.00; once: 0.0135 -> 0.01.
    tax_store(store, books, include=False, rounding="line")
    tax_store(other_store, books, include=False, rounding="order")
    per_line = [with_stock(ProductFactory(store=store, price=Decimal("0.05"), category=books), 5) for _ in range(3)]
    per_order = [
        with_stock(ProductFactory(store=other_store, price=Decimal("0.05"), category=books), 5) for _ in range(3)
    ]

    a = place_order(customer, *[(p, 1) for p in per_line])
    b = place_order(customer, *[(p, 1) for p in per_order])

    assert (a.tax_total, a.total) == (Decimal("0.00"), Decimal("0.15"))
    assert (b.tax_total, b.total) == (Decimal("0.01"), Decimal("0.16"))
    assert [line.tax for line in b.lines.all()] == [Decimal("0.0045")] * 3
    assert_adds_up(a)
    assert_adds_up(b)


def test_a_store_without_tax_settings_charges_none(store, customer):
    product = with_stock(ProductFactory(store=store, price=Decimal("9.99")), 5)

    order = place_order(customer, (product, 2))

    assert (order.tax_total, order.total) == (Decimal("0.00"), Decimal("19.98"))
    assert_adds_up(order)


def test_tax_with_delivery_fee_adds_up_and_the_fee_carries_no_tax(store, customer, books):
    tax_store(store, books, include=False)
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"), free_delivery_threshold=Decimal("50"))
    product = with_stock(ProductFactory(store=store, price=Decimal("19.99")), 5)

    order = place_order(customer, (product, 1))

    assert (order.subtotal, order.tax_total, order.shipping_total, order.total) == (
        Decimal("19.99"),
        Decimal("4.20"),
        Decimal("4.95"),
        Decimal("29.14"),
    )
    assert_adds_up(order)


def test_a_rate_out_of_range_or_a_second_default_is_refused(store):
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))

    with pytest.raises(ValidationError) as excinfo:
        TaxRate(store=store, category=None, rate=Decimal("-1")).full_clean()
    assert "rate" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(store=store, category=None, rate=Decimal("9"))
    assert list(TaxRate.objects.values_list("rate", flat=True)) == [Decimal("21.00")]


def test_cart_email_and_page_show_tax_per_line_and_in_total(client, customer, store, books):
    tax_store(store, books, include=False)
    novel = with_stock(ProductFactory(store=store, price=Decimal("10.00"), category=books), 5)
    client.force_login(customer)
    client.post(reverse("storefront:cart_add"), {"product": novel.pk, "quantity": 2})

    cart = client.get(reverse("storefront:cart"))

    html = cart.content.decode()
    assert "€1.80 (9%)" in html
    assert 'data-testid="summary-tax">€1.80<' in html
    assert 'data-testid="summary-total">€21.80<' in html
    client.post(
        reverse("storefront:checkout"),
        {
            "delivery_name": "C",
            "delivery_address": "1 Main Street",
            "delivery_postcode": "1000 AA",
            "delivery_city": "Amsterdam",
            "payment_method": "cod",
        },
    )
    order = customer.orders.get()
    assert order.total == Decimal("21.80")
    body = Notification.objects.get(subject__contains=order.number).body
    assert "= €20.00, tax €1.80 (9%)" in body
    assert "Items (excl. tax): €20.00\nTax: €1.80\n" in body
    page = client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-tax">€1.80<' in page
    assert "€1.80 (9%)" in page


def test_quote_is_pure_and_matches_the_order(store, customer, books):
    tax_store(store, books, include=True, rounding="order")
    product = with_stock(ProductFactory(store=store, price=Decimal("3.33"), category=books), 9)
    terms = services.tax_terms_for_store(store.pk)

    shown = services.quote(
        lines=[(product, 7, product.current_price)], delivery=services.DeliveryTerms(), pickup=False, tax=terms
    )
    order = place_order(customer, (product, 7))

    assert (shown.subtotal, shown.tax, shown.total) == (order.subtotal, order.tax_total, order.total)
    assert_adds_up(order)
