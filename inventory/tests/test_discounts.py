"""Discount codes: percentage or amount off, minimum basket, validity, usage limits, used atomically."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import CustomerFactory, StoreFactory
from inventory import services
from inventory.models import DiscountCode, Order, StockMovement, StoreShipping, StoreTax, TaxRate

from .factories import DELIVERY, ProductFactory, with_stock
from .money import assert_adds_up
from .test_concurrency import race

CHECKOUT = {
    "delivery_name": "Casey Customer",
    "delivery_address": "1 Main Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "cod",
}


def order(customer, *pairs, code="", payment_method="cod"):
    items = [services.CartItem(product_id=p.pk, quantity=q, unit_price=p.current_price) for p, q in pairs]
    return services.order_place(
        customer=customer, items=items, delivery=DELIVERY, payment_method=payment_method, discount_code=code
    )


def make_code(store, **kwargs):
    return DiscountCode.objects.create(
        store=store, **{"code": "SPRING10", "kind": "percent", "value": Decimal("10"), **kwargs}
    )


@pytest.mark.django_db
def test_a_percentage_code_comes_off_the_goods_and_is_counted(store, customer):
    code = make_code(store)
    product = with_stock(ProductFactory(store=store, price=Decimal("19.99")), 5)

    placed = order(customer, (product, 3), code="spring10")  # not case-sensitive

    # 59.97 * 10% = 5.997 -> 6.00
    assert (placed.subtotal, placed.discount_total, placed.total) == (
        Decimal("59.97"),
        Decimal("6.00"),
        Decimal("53.97"),
    )
    assert placed.discount_code == code
    code.refresh_from_db()
    assert code.times_used == 1
    assert_adds_up(placed)


@pytest.mark.django_db
def test_a_fixed_code_is_spread_over_the_lines_and_tax_is_on_what_is_left(store, customer):
    StoreTax.objects.create(store=store, prices_include_tax=False, rounding="line")
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"), free_delivery_threshold=Decimal("50"))
    make_code(store, code="FIVER", kind="fixed", value=Decimal("5.00"))
    a = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 5)
    b = with_stock(ProductFactory(store=store, price=Decimal("30.00")), 5)

    placed = order(customer, (a, 1), (b, 1), code="FIVER")

    shares = {line.product_id: (line.discount, line.tax) for line in placed.lines.all()}
    assert shares == {a.pk: (Decimal("1.25"), Decimal("1.8400")), b.pk: (Decimal("3.75"), Decimal("5.5100"))}
    # goods 40.00 - 5.00 = 35.00 (< 50: the fee applies) + tax 7.35 + 4.95
    assert (placed.subtotal, placed.discount_total, placed.tax_total, placed.shipping_total, placed.total) == (
        Decimal("40.00"),
        Decimal("5.00"),
        Decimal("7.35"),
        Decimal("4.95"),
        Decimal("47.30"),
    )
    assert_adds_up(placed)


@pytest.mark.django_db
def test_a_code_in_a_store_whose_prices_include_tax_takes_it_off_the_shown_price(store, customer):
    StoreTax.objects.create(store=store, prices_include_tax=True, rounding="line")
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))
    make_code(store, code="BIG", kind="fixed", value=Decimal("100.00"))  # more than the goods
    product = with_stock(ProductFactory(store=store, price=Decimal("12.10")), 5)

    placed = order(customer, (product, 1), code="BIG")

    assert (placed.goods, placed.discount_total, placed.tax_total, placed.total) == (
        Decimal("12.10"),
        Decimal("12.10"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert_adds_up(placed)


def _unusable(store, customer):
    yesterday = timezone.now() - timedelta(days=1)
    return [
        ("NOPE", "There is no such discount code at this shop."),
        (make_code(store, code="OLD", valid_from=yesterday - timedelta(days=9), valid_until=yesterday).code,
         "This discount code has expired."),
        (make_code(store, code="SOON", valid_from=timezone.now() + timedelta(days=2)).code,
         "This discount code is valid from"),
        (make_code(store, code="BIGBASKET", minimum_basket=Decimal("100")).code,
         "This code needs goods of at least €100.00; yours come to €10.00."),
        (make_code(store, code="OFF", is_active=False).code, "There is no such discount code at this shop."),
        (make_code(StoreFactory(), code="ELSEWHERE").code, "There is no such discount code at this shop."),
    ]  # fmt: skip


@pytest.mark.django_db
def test_an_unusable_code_is_refused_with_its_reason_and_nothing_changes(store, customer):
    product = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 5)

    for typed, reason in _unusable(store, customer):
        with pytest.raises(services.DiscountError) as excinfo:
            order(customer, (product, 1), code=typed)
        assert reason in str(excinfo.value), typed

    product.refresh_from_db()
    assert product.on_hand == 5
    assert not Order.objects.exists()
    assert set(DiscountCode.objects.values_list("times_used", flat=True)) == {0}


@pytest.mark.django_db
def test_limits_per_code_and_per_customer(store):
    product = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 10)
    make_code(store, code="ONCEEACH", max_uses=2, max_uses_per_customer=1)
    first, second, third = CustomerFactory(), CustomerFactory(), CustomerFactory()
    order(first, (product, 1), code="ONCEEACH")

    with pytest.raises(services.DiscountError, match=r"You have already used this discount code\."):
        order(first, (product, 1), code="ONCEEACH")
    order(second, (product, 1), code="ONCEEACH")
    with pytest.raises(services.DiscountError, match=r"This discount code has been used up\."):
        order(third, (product, 1), code="ONCEEACH")

    assert DiscountCode.objects.get(code="ONCEEACH").times_used == 2
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_the_database_refuses_impossible_codes(store):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_code(store, code="HALFPLUS", value=Decimal("150"))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_code(store, code="NEG", kind="fixed", value=Decimal("-5"))
    make_code(store, code="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_code(store, code="DUP")
    assert list(DiscountCode.objects.values_list("code", flat=True)) == ["dup"]


@pytest.mark.django_db
def test_checkout_ties_a_bad_code_to_its_field_and_a_good_one_shows_on_order_and_email(client, customer, store):
    make_code(store, code="SPRING10")
    product = with_stock(ProductFactory(store=store, price=Decimal("20.00")), 5)
    client.force_login(customer)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    bad = client.post(reverse("storefront:checkout"), {**CHECKOUT, "discount_code": "WINTER"})

    assert bad.status_code == 200
    assert bad.context["form"].errors["discount_code"] == ["There is no such discount code at this shop."]
    assert 'aria-invalid="true"' in bad.content.decode() or "is-invalid" in bad.content.decode()
    assert not Order.objects.exists()

    good = client.post(reverse("storefront:checkout"), {**CHECKOUT, "discount_code": "SPRING10"})

    placed = Order.objects.get()
    assert good.status_code == 302
    assert (placed.discount_total, placed.total) == (Decimal("2.00"), Decimal("18.00"))
    assert_adds_up(placed)
    body = Notification.objects.get(subject__contains=placed.number).body
    assert "Discount (SPRING10): -€2.00\n" in body
    page = client.get(reverse("storefront:order_detail", args=[placed.pk])).content.decode()
    assert 'data-testid="order-discount">-€2.00<' in page


@pytest.mark.django_db
def test_the_api_takes_a_code_and_answers_400_with_detail_for_an_expired_one(customer, store):
    from rest_framework.test import APIClient

    make_code(store, code="GONE", valid_from=timezone.now() - timedelta(days=5), valid_until=timezone.now())
    product = with_stock(ProductFactory(store=store, price=Decimal("10.00")), 5)
    client = APIClient()
    client.force_authenticate(customer)
    body = {
        **CHECKOUT,
        "items": [{"product": product.pk, "quantity": 1, "unit_price": "10.00"}],
        "discount_code": "GONE",
    }

    response = client.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert "This discount code has expired." in str(response.json()["detail"])
    assert not Order.objects.exists()


def last_use_race():
    store = StoreFactory()
    product = with_stock(ProductFactory(store=store, price=Decimal("10.00"), reorder_point=0), 20)
    make_code(store, code="LASTONE", max_uses=1, max_uses_per_customer=None)
    buyers = [CustomerFactory() for _ in range(8)]

    results = race(lambda i: order(buyers[i], (product, 1), code="LASTONE"), 8)

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if not isinstance(r, Order)]
    assert len(orders) == 1, results
    assert len(refused) == 7
    assert all(isinstance(r, services.DiscountError) and "used up" in str(r) for r in refused), refused[:3]
    assert DiscountCode.objects.get(code="LASTONE").times_used == 1
    assert Order.objects.filter(discount_code__code="LASTONE").count() == 1
    product.refresh_from_db()
    assert product.on_hand == 19
    assert StockMovement.objects.filter(product=product, kind="sale").count() == 1
    assert_adds_up(orders[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=postgres://...")
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_eight_checkouts_race_for_a_last_use_code_on_postgresql():
    last_use_race()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant of the race")
@pytest.mark.django_db(transaction=True)
def test_eight_checkouts_race_for_a_last_use_code_on_sqlite():
    # SQLite has one writer at a time (IMMEDIATE transactions), so this shows the conditional
    # UPDATE's answer to the losers, not row locking; the PostgreSQL variant shows that.
    last_use_race()
