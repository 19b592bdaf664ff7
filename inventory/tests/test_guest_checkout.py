"""Guest checkout: an email instead of an account, the signed order link, claiming the order later."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from accounts.tests.factories import PASSWORD, CustomerFactory
from inventory import services
from inventory.models import DiscountCode, Order, Product, StockMovement

from .factories import DELIVERY, ProductFactory, with_stock
from .money import assert_adds_up

pytestmark = pytest.mark.django_db

GUEST = {
    "email": "Guest.Person@Example.COM",
    "delivery_name": "Gale Guest",
    "delivery_address": "3 Side Street",
    "delivery_postcode": "1012 AB",
    "delivery_city": "Amsterdam",
    "payment_method": "cod",
}


def guest_order(product, *, email="guest@example.com", quantity=1, code=""):
    items = [services.CartItem(product_id=product.pk, quantity=quantity, unit_price=product.current_price)]
    return services.order_place(
        guest_email=email, items=items, delivery=DELIVERY, payment_method="cod", discount_code=code
    )


def test_a_guest_orders_with_an_email_and_gets_the_signed_link(client, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("12.50")), 5)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 2})

    response = client.post(reverse("storefront:checkout"), GUEST)

    order = Order.objects.get()
    assert (order.customer, order.guest_email) == (None, "Guest.Person@example.com")
    assert_adds_up(order)
    path = services.order_page_path(order)
    assert response["Location"] == path
    assert path.startswith("/shop/orders/guest/")
    mail = Notification.objects.get(idempotency_key=f"order-confirmed:{order.pk}")
    assert mail.recipient == "Guest.Person@example.com"
    assert path in mail.body
    page = client.get(path)
    assert page.status_code == 200
    assert page.context["order"] == order
    assert "Create account" in page.content.decode()
    assert Product.objects.get(pk=product.pk).on_hand == 3
    assert StockMovement.objects.get(kind="sale").actor is None


def test_guest_checkout_needs_a_valid_email_and_places_nothing(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    response = client.post(reverse("storefront:checkout"), {**GUEST, "email": "not-an-email"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert not Order.objects.exists()


def test_the_service_takes_a_customer_or_a_guest_email_never_both_or_neither(store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    items = [services.CartItem(product_id=product.pk, quantity=1, unit_price=product.current_price)]
    with pytest.raises(services.OrderError, match="not both"):
        services.order_place(
            customer=customer, guest_email="a@example.com", items=items, delivery=DELIVERY, payment_method="cod"
        )
    with pytest.raises(services.OrderError, match="email address"):
        services.order_place(items=items, delivery=DELIVERY, payment_method="cod")
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).on_hand == 5


def test_the_database_wants_exactly_one_buyer(store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(guest_email="")


def test_only_a_valid_link_opens_a_guest_order(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product)
    forged = signing.dumps({"o": order.pk, "e": "guest@example.com"}, salt="another-salt", compress=True)
    other_email = signing.dumps(
        {"o": order.pk, "e": "someone@example.com"}, salt="inventory.guest-order", compress=True
    )

    assert client.get(reverse("storefront:guest_order", args=[forged])).status_code == 404
    assert client.get(reverse("storefront:guest_order", args=[other_email])).status_code == 404
    assert client.get(reverse("storefront:guest_order", args=["garbage"])).status_code == 404
    # The plain order page is for accounts: a guest order has none.
    assert client.get(reverse("storefront:order_detail", args=[order.pk])).status_code == 302


def test_an_expired_link_is_404(client, store, monkeypatch):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product)
    token = services.guest_order_token(order)
    later = timezone.now() + timedelta(seconds=services.GUEST_ORDER_MAX_AGE + 60)
    monkeypatch.setattr("time.time", lambda: later.timestamp())

    assert client.get(reverse("storefront:guest_order", args=[token])).status_code == 404


def test_a_guest_creates_an_account_from_the_link_and_keeps_the_order(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product)
    url = reverse("storefront:guest_order_claim", args=[services.guest_order_token(order)])

    response = client.post(
        url, {"email": "guest@example.com", "name": "Gale", "password1": PASSWORD, "password2": PASSWORD}
    )

    user = User.objects.get(email="guest@example.com")
    assert response["Location"] == reverse("storefront:order_detail", args=[order.pk])
    order.refresh_from_db()
    assert (order.customer, order.guest_email) == (user, "")
    assert client.get(response["Location"]).status_code == 200
    assert_adds_up(order)


def test_a_bad_signup_on_the_link_creates_nothing_and_claims_nothing(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product)
    url = reverse("storefront:guest_order_claim", args=[services.guest_order_token(order)])

    response = client.post(url, {"email": "guest@example.com", "name": "Gale", "password1": PASSWORD, "password2": "x"})

    assert response.status_code == 200
    assert "password2" in response.context["signup_form"].errors
    assert not User.objects.filter(email="guest@example.com").exists()
    assert Order.objects.get(pk=order.pk).customer is None


def test_a_logged_in_customer_claims_with_the_link_and_an_old_link_then_asks_to_log_in(client, store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product, email="other-address@example.com")
    token = services.guest_order_token(order)
    client.force_login(customer)

    assert client.post(reverse("storefront:guest_order_claim", args=[token])).status_code == 302

    assert Order.objects.get(pk=order.pk).customer == customer
    assert client.get(reverse("storefront:guest_order", args=[token]))["Location"] == reverse(
        "storefront:order_detail", args=[order.pk]
    )
    client.logout()
    stale = client.get(reverse("storefront:guest_order", args=[token]))
    assert stale.status_code == 302
    assert reverse("accounts:login") in stale["Location"]
    intruder = CustomerFactory()
    client.force_login(intruder)
    assert client.post(reverse("storefront:guest_order_claim", args=[token])).status_code == 302
    assert Order.objects.get(pk=order.pk).customer == customer


def test_a_matching_email_alone_never_claims_a_guest_order(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product, email="same@example.com")
    owner = CustomerFactory(email="same@example.com")
    client.force_login(owner)

    assert client.get(reverse("storefront:order_list")).context["page"].paginator.count == 0
    assert client.get(reverse("storefront:order_detail", args=[order.pk])).status_code == 404
    assert Order.objects.get(pk=order.pk).customer is None


def test_a_guest_cancels_through_the_link(client, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = guest_order(product, quantity=2)

    client.post(reverse("storefront:guest_order_cancel", args=[services.guest_order_token(order)]))

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Product.objects.get(pk=product.pk).on_hand == 5
    assert Notification.objects.get(idempotency_key=f"order-cancelled:{order.pk}").recipient == "guest@example.com"


# --- the per-customer discount limit counts a guest by email ---------------------------


@pytest.fixture
def once_each(store):
    return DiscountCode.objects.create(
        store=store, code="ONCE", kind="fixed", value=Decimal("2.00"), max_uses_per_customer=1
    )


def test_a_guest_cannot_reuse_a_once_per_customer_code_by_email(store, once_each):
    product = with_stock(ProductFactory(store=store), 10)
    first = guest_order(product, email="g@example.com", code="ONCE")
    assert first.discount_total == Decimal("2.00")
    assert_adds_up(first)

    with pytest.raises(services.DiscountError, match="already used"):
        guest_order(product, email="G@EXAMPLE.com", code="ONCE")
    assert Order.objects.count() == 1
    assert DiscountCode.objects.get(pk=once_each.pk).times_used == 1


def test_an_account_and_a_guest_of_the_same_email_share_the_limit(store, once_each):
    product = with_stock(ProductFactory(store=store), 10)
    customer = CustomerFactory(email="person@example.com")
    items = [services.CartItem(product_id=product.pk, quantity=1, unit_price=product.current_price)]
    services.order_place(customer=customer, items=items, delivery=DELIVERY, payment_method="cod", discount_code="ONCE")

    with pytest.raises(services.DiscountError, match="already used"):
        guest_order(product, email="person@example.com", code="ONCE")

    other = guest_order(product, email="someone-else@example.com", code="ONCE")
    assert other.discount_total == Decimal("2.00")
    assert_adds_up(other)


# --- API ------------------------------------------------------------------------------


def _api_guest_order(client, product, **extra):
    item = {"product": product.pk, "quantity": 2, "unit_price": str(product.current_price)}
    body = {
        "items": [item],
        "guest_email": "api-guest@example.com",
        "delivery_name": "Gale",
        "delivery_address": "3 Side Street",
        "delivery_postcode": "1012 AB",
        "delivery_city": "Amsterdam",
        "payment_method": "cod",
        **extra,
    }
    return client.post("/api/v1/guest-orders/", body, format="json")


def test_api_guest_order_read_by_token_and_claimed(store, customer):
    from rest_framework.test import APIClient

    product = with_stock(ProductFactory(store=store), 5)
    anonymous = APIClient()
    placed = _api_guest_order(anonymous, product)
    assert placed.status_code == 201
    token = placed.json()["token"]
    assert placed["Location"].endswith(f"/api/v1/guest-orders/{token}/")
    order = Order.objects.get()
    assert_adds_up(order)

    assert anonymous.get(f"/api/v1/guest-orders/{token}/").json()["id"] == order.pk
    assert anonymous.get("/api/v1/guest-orders/forged-token/").status_code == 404
    assert anonymous.post(f"/api/v1/guest-orders/{token}/claim/").status_code in (401, 403)

    mine = APIClient()
    mine.force_authenticate(customer)
    claimed = mine.post(f"/api/v1/guest-orders/{token}/claim/")
    assert claimed.status_code == 200
    assert Order.objects.get(pk=order.pk).customer == customer
    assert anonymous.get(f"/api/v1/guest-orders/{token}/").status_code == 404
    assert mine.get(f"/api/v1/orders/{order.pk}/").status_code == 200


def test_api_guest_order_bad_input_is_400_with_detail_and_changes_nothing(store):
    from rest_framework.test import APIClient

    product = with_stock(ProductFactory(store=store), 5)
    client = APIClient()
    DiscountCode.objects.create(
        store=store,
        code="OLD",
        kind="fixed",
        value=Decimal("1.00"),
        valid_from=timezone.now() - timedelta(days=9),
        valid_until=timezone.now() - timedelta(days=1),
    )

    assert _api_guest_order(client, product, guest_email="nope").status_code == 400
    expired = _api_guest_order(client, product, discount_code="OLD")
    assert expired.status_code == 400
    assert expired.json()["detail"] == "This discount code has expired."
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).on_hand == 5


# --- concurrency --------------------------------------------------------------------------


def _same_guest_race():
    from accounts.tests.factories import StoreFactory

    from .test_concurrency import race

    store = StoreFactory()
    product = with_stock(ProductFactory(store=store), 20)
    DiscountCode.objects.create(store=store, code="ONCE", kind="fixed", value=Decimal("2.00"), max_uses_per_customer=1)
    emails = ["same@example.com", "SAME@example.com", "same@EXAMPLE.com", "Same@Example.Com"]

    results = race(lambda i: guest_order(product, email=emails[i], code="ONCE"), len(emails))

    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 1, results
    assert all(isinstance(r, services.DiscountError) for r in results if r not in placed), results
    assert DiscountCode.objects.get(code="ONCE").times_used == 1
    assert Product.objects.get(pk=product.pk).on_hand == 19
    assert_adds_up(placed[0])


@pytest.mark.django_db(transaction=True)
def test_one_guest_racing_four_checkouts_uses_a_once_per_customer_code_once():
    # PostgreSQL: the code's row lock orders them and each re-counts the email's orders under it
    # (DATABASE_URL=postgres://... ); SQLite: one writer at a time.
    _same_guest_race()
