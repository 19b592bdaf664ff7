"""Storefront pages: what a customer sees and can do, and what bad input cannot do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import CustomerFactory
from inventory import services
from inventory.models import BackInStockSubscription, Order, Product, PurchaseOrder, ReturnRequest, StockMovement

from .factories import CategoryFactory, ProductFactory, PurchaseOrderLineFactory, place_order, with_stock

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "delivery_name": "Casey Customer",
    "delivery_address": "1 Main Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "cod",
}


@pytest.fixture
def shopper(client, customer):
    client.force_login(customer)
    return client


def test_home_shows_new_arrivals_and_deals(client, store):
    new = ProductFactory(store=store, name="Fresh Kettle", launch_date=timezone.localdate())
    deal = with_stock(ProductFactory(store=store, name="Cheap Lamp", price=Decimal(20), sale_price=Decimal(15)), 3)
    ProductFactory(store=store, name="Future Thing", launch_date=timezone.localdate() + timedelta(days=5))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert new in response.context["new_arrivals"]
    assert deal in response.context["deals"]
    assert b"Future Thing" not in response.content
    assert b"-25%" in response.content


def test_catalogue_filters_searches_sorts_and_paginates(client, store):
    tools = CategoryFactory(name="Tools", slug="tools")
    for i in range(30):
        ProductFactory(store=store, category=tools, name=f"Hammer {i:02d}", price=Decimal(100 - i))
    ProductFactory(store=store, name="Garden hose")

    response = client.get(reverse("storefront:catalogue"), {"category": "tools", "sort": "price", "q": "hammer"})

    listing = response.context["listing"]
    assert listing.count == 30
    assert len(listing.products) == 24
    assert [p.price for p in listing.products][:2] == [Decimal(71), Decimal(72)]
    assert b"Page 1 of 2" in response.content
    second = client.get(reverse("storefront:catalogue"), {"category": "tools", "sort": "price", "page": 2})
    assert len(second.context["listing"].products) == 6
    assert second.context["listing"].previous_number == 1
    assert b"category=tools" in second.content


def test_catalogue_query_count_does_not_grow_with_products(client, store, django_assert_max_num_queries):
    for _ in range(30):
        ProductFactory(store=store, category=CategoryFactory())

    with django_assert_max_num_queries(4):
        response = client.get(reverse("storefront:catalogue"))

    assert response.status_code == 200


def test_product_page_shows_price_discount_stock_and_estimate(client, store, django_assert_max_num_queries):
    product = with_stock(ProductFactory(store=store, price=Decimal(50), sale_price=Decimal(40), reorder_point=5), 13)
    for _ in range(10):  # reviews must not cost a query each
        buyer = CustomerFactory()
        services.order_line_mark_delivered(line=place_order(buyer, (product, 1)).lines.get())
        services.review_create(customer=buyer, product=product, rating=4, comment="fine")

    with django_assert_max_num_queries(6):
        response = client.get(product.get_absolute_url())

    content = response.content.decode()
    assert "Only 3 left" in content
    assert "Save 20%" in content
    assert "€40.00" in content
    estimate = response.context["estimate"]
    assert estimate.earliest == timezone.localdate() + timedelta(days=1)


def test_out_of_stock_product_offers_notify_me_and_uses_open_po_date(client, store, django_capture_on_commit_callbacks):
    product = ProductFactory(store=store, lead_time_days=10)
    line = PurchaseOrderLineFactory(purchase_order__store=store, product=product)
    expected = timezone.localdate() + timedelta(days=4)
    services.purchase_order_mark_ordered(purchase_order=line.purchase_order, expected_date=expected)

    response = client.get(product.get_absolute_url())

    assert "Out of stock — notify me" in response.content.decode()
    assert response.context["estimate"].from_purchase_order is True
    assert response.context["estimate"].earliest == expected + timedelta(days=1)
    purchase_order = line.purchase_order
    purchase_order.status = PurchaseOrder.Status.RECEIVED
    with django_capture_on_commit_callbacks(execute=True):  # the page cache is invalidated on commit
        purchase_order.save()
    fallback = client.get(product.get_absolute_url()).context["estimate"]
    assert fallback.earliest == timezone.localdate() + timedelta(days=11)


def test_inactive_or_unknown_product_is_404(client, store):
    product = ProductFactory(store=store, is_active=False)

    assert client.get(product.get_absolute_url()).status_code == 404
    assert client.get(reverse("storefront:product", args=[999999, "x"])).status_code == 404


def test_product_page_shows_average_of_visible_reviews(client, store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    for rating, hidden in [(5, False), (2, False), (1, True)]:
        buyer = CustomerFactory()
        line = place_order(buyer, (product, 1)).lines.get()
        services.order_line_mark_delivered(line=line)
        review = services.review_create(customer=buyer, product=product, rating=rating)
        services.review_set_hidden(review_ids=[review.pk], hidden=hidden)

    response = client.get(product.get_absolute_url())

    assert "Rated 3.5 / 5 from 2 reviews" in response.content.decode()


def test_cart_ignores_a_tampered_price_and_checkout_charges_the_catalogue_price(shopper, customer, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("30.00")), 5)

    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 2, "price": "0.01"})
    response = shopper.post(reverse("storefront:checkout"), CHECKOUT)

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302
    assert order.total == Decimal("60.00")
    assert order.lines.get().unit_price == Decimal("30.00")


@pytest.mark.parametrize("quantity", ["0", "-2", "abc", "1000"])
def test_cart_add_rejects_bad_quantity(shopper, store, quantity):
    product = with_stock(ProductFactory(store=store), 5)

    response = shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": quantity}, follow=True)

    assert "Choose a quantity" in response.content.decode()
    assert shopper.session.get("cart") is None


def test_cart_add_unknown_product(shopper):
    response = shopper.post(reverse("storefront:cart_add"), {"product": 999999, "quantity": 1}, follow=True)

    assert "not available" in response.content.decode()
    assert shopper.session.get("cart") is None


def test_cart_holds_one_store(shopper, store, other_store):
    a = with_stock(ProductFactory(store=store), 5)
    b = with_stock(ProductFactory(store=other_store), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": a.pk, "quantity": 1})

    response = shopper.post(reverse("storefront:cart_add"), {"product": b.pk, "quantity": 1}, follow=True)

    assert "another shop" in response.content.decode()
    assert list(shopper.session["cart"]["items"]) == [str(a.pk)]


def test_checkout_with_too_little_stock_shows_error_and_changes_nothing(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 4})
    services.stock_adjust(product=product, quantity=-3, reason="count", actor=None)

    response = shopper.post(reverse("storefront:checkout"), CHECKOUT)

    assert response.status_code == 200
    assert "Only 2 of" in response.content.decode()
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).on_hand == 2
    assert shopper.session["cart"]["items"][str(product.pk)]["qty"] == 4


def test_checkout_after_price_change_asks_to_review(shopper, store):
    product = with_stock(ProductFactory(store=store, price=Decimal(10)), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    Product.objects.filter(pk=product.pk).update(price=Decimal(12))

    response = shopper.post(reverse("storefront:checkout"), CHECKOUT)

    assert "changed to 12.00" in response.content.decode()
    assert not Order.objects.exists()
    again = shopper.post(reverse("storefront:checkout"), CHECKOUT)
    assert again.status_code == 302
    assert Order.objects.get().total == Decimal("12.00")


def test_checkout_is_open_to_guests_with_an_email_field(client, store):
    # Issue 24: no account needed (inventory/tests/test_guest_checkout.py); an empty cart still goes back.
    assert client.get(reverse("storefront:checkout"))["Location"] == reverse("storefront:cart")
    product = with_stock(ProductFactory(store=store), 5)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    form = client.get(reverse("storefront:checkout")).context["form"]

    assert "email" in form.fields
    assert "saved_address" not in form.fields


def test_checkout_page_says_no_payment_gateway(shopper, store):
    product = with_stock(ProductFactory(store=store), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    content = shopper.get(reverse("storefront:checkout")).content.decode()

    assert "cash on delivery" in content
    assert "pay at pickup" in content
    assert "Nothing is charged now" in content


def test_customer_gets_404_for_another_customers_order(shopper, store):
    product = with_stock(ProductFactory(store=store), 5)
    theirs = place_order(CustomerFactory(), (product, 1))
    line = theirs.lines.get()
    services.order_line_mark_delivered(line=line)

    assert shopper.get(reverse("storefront:order_detail", args=[theirs.pk])).status_code == 404
    assert shopper.post(reverse("storefront:order_cancel", args=[theirs.pk])).status_code == 404
    assert shopper.get(reverse("storefront:return_create", args=[line.pk])).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PLACED


def test_order_list_and_cancel(shopper, customer, store, django_assert_max_num_queries):
    product = with_stock(ProductFactory(store=store), 5)
    orders = [place_order(customer, (product, 1)) for _ in range(3)]

    # session, user, roles, count, orders, lines, products: constant in the number of orders
    with django_assert_max_num_queries(7):
        listing = shopper.get(reverse("storefront:order_list"))
    response = shopper.post(reverse("storefront:order_cancel", args=[orders[0].pk]), follow=True)

    assert listing.status_code == 200
    assert "is cancelled" in response.content.decode()
    assert Product.objects.get(pk=product.pk).on_hand == 3


def test_return_larger_than_delivered_is_a_form_error(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    line = place_order(customer, (product, 2)).lines.get()
    services.order_line_mark_delivered(line=line)

    response = shopper.post(reverse("storefront:return_create", args=[line.pk]), {"quantity": 3, "reason": "Broken"})

    assert response.status_code == 200
    assert "less than or equal to 2" in response.content.decode()
    assert not ReturnRequest.objects.exists()
    ok = shopper.post(reverse("storefront:return_create", args=[line.pk]), {"quantity": 2, "reason": "Broken"})
    assert ok.status_code == 302
    assert ReturnRequest.objects.get().quantity == 2


def test_notify_me_for_logged_in_customer_and_for_an_address(client, customer, store):
    product = ProductFactory(store=store)
    client.post(reverse("storefront:notify_me", args=[product.pk]), {"email": "someone@example.com"})
    client.force_login(customer)
    client.post(reverse("storefront:notify_me", args=[product.pk]), {"email": customer.email})
    bad = client.post(reverse("storefront:notify_me", args=[product.pk]), {"email": "not-an-email"}, follow=True)

    assert "valid email" in bad.content.decode()
    subs = {s.email: s.confirmed_at is not None for s in BackInStockSubscription.objects.all()}
    assert subs == {"someone@example.com": False, customer.email: True}


def test_follow_category(shopper, customer):
    category = CategoryFactory()

    shopper.post(reverse("storefront:category_follow", args=[category.slug]))

    assert customer.category_follows.get().category == category


def test_review_from_page_needs_delivery(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    shopper.post(reverse("storefront:review_create", args=[product.pk]), {"rating": 5})
    assert not product.reviews.exists()

    line = place_order(customer, (product, 1)).lines.get()
    services.order_line_mark_delivered(line=line)
    shopper.post(reverse("storefront:review_create", args=[product.pk]), {"rating": 4, "comment": "<b>ok</b>"})

    review = product.reviews.get()
    assert review.rating == 4
    page = shopper.get(product.get_absolute_url()).content.decode()
    assert "&lt;b&gt;ok&lt;/b&gt;" in page
    assert StockMovement.objects.filter(product=product).count() == 2


def test_notify_confirm_link(client, store, django_capture_on_commit_callbacks):
    from django.core import mail

    product = ProductFactory(store=store)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("storefront:notify_me", args=[product.pk]), {"email": "fan@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/shop/notify/confirm/" in line)
    path = link[link.index("/shop/") :]

    bad = client.get(path.replace("/confirm/", "/confirm/x"), follow=True)
    good = client.get(path, follow=True)

    assert "invalid or has expired" in bad.content.decode()
    assert "Address confirmed" in good.content.decode()
    assert BackInStockSubscription.objects.get().confirmed_at is not None


def test_home_query_count_does_not_grow(client, store, django_assert_max_num_queries):
    for i in range(12):
        ProductFactory(store=store, category=CategoryFactory(), sale_price=Decimal(5) if i % 2 else None)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("home"))

    assert response.status_code == 200
