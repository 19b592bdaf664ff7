"""Saved addresses: the service, the account pages, checkout with one, and the API."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from inventory import services
from inventory.models import Address, Order

from .factories import ProductFactory, with_stock
from .money import assert_adds_up

pytestmark = pytest.mark.django_db

HOME = services.AddressInput(name="Casey", address="1 Main Street", postcode="1000 AA", city="Amsterdam", label="Home")
WORK = services.AddressInput(name="Casey at work", address="9 Dock Road", postcode="3011 AB", city="Rotterdam")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def shopper(client, customer):
    client.force_login(customer)
    return client


# --- services -----------------------------------------------------------------------


def test_first_address_becomes_default_and_one_default_only(customer):
    home = services.address_create(customer=customer, data=HOME)
    work = services.address_create(customer=customer, data=WORK)

    assert Address.objects.get(pk=home.pk).is_default
    assert not Address.objects.get(pk=work.pk).is_default

    services.address_set_default(address=work)

    assert list(Address.objects.filter(customer=customer, is_default=True).values_list("pk", flat=True)) == [work.pk]


def test_the_database_refuses_two_defaults(customer):
    services.address_create(customer=customer, data=HOME)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(customer=customer, is_default=True, **WORK.__dict__)


def test_deleting_the_default_promotes_the_newest_other(customer):
    home = services.address_create(customer=customer, data=HOME)
    work = services.address_create(customer=customer, data=WORK)

    services.address_delete(address=home)

    assert list(Address.objects.filter(customer=customer).values_list("pk", "is_default")) == [(work.pk, True)]


def test_incomplete_address_is_refused_and_nothing_saved(customer):
    with pytest.raises(services.AddressError, match="postcode"):
        services.address_create(
            customer=customer, data=services.AddressInput(name="C", address="1", postcode=" ", city="A")
        )
    assert not Address.objects.exists()


def test_address_limit(customer):
    for n in range(services.MAX_ADDRESSES):
        services.address_create(
            customer=customer, data=services.AddressInput(name=f"C{n}", address="1", postcode="1", city="A")
        )
    with pytest.raises(services.AddressError, match="up to"):
        services.address_create(customer=customer, data=HOME)
    assert Address.objects.filter(customer=customer).count() == services.MAX_ADDRESSES


# --- pages --------------------------------------------------------------------------


def test_account_page_adds_edits_defaults_and_deletes(shopper, customer):
    response = shopper.post(reverse("storefront:address_list"), {**HOME.__dict__, "make_default": ""})
    assert response.status_code == 302
    home = Address.objects.get(customer=customer)
    shopper.post(reverse("storefront:address_list"), {**WORK.__dict__, "make_default": "on"})
    work = Address.objects.get(customer=customer, city="Rotterdam")
    assert work.is_default

    shopper.post(reverse("storefront:address_edit", args=[home.pk]), {**HOME.__dict__, "city": "Utrecht"})
    shopper.post(reverse("storefront:address_default", args=[home.pk]))
    home.refresh_from_db()
    assert (home.city, home.is_default) == ("Utrecht", True)

    shopper.post(reverse("storefront:address_delete", args=[work.pk]))
    assert list(Address.objects.filter(customer=customer).values_list("pk", flat=True)) == [home.pk]
    page = shopper.get(reverse("storefront:address_list")).content.decode()
    assert "Utrecht" in page
    assert "Default" in page


def test_another_customers_address_is_404_on_every_page_and_unchanged(shopper):
    theirs = services.address_create(customer=CustomerFactory(), data=HOME)
    for name in ("address_edit", "address_delete", "address_default"):
        method = shopper.get if name == "address_edit" else shopper.post
        assert method(reverse(f"storefront:{name}", args=[theirs.pk])).status_code == 404
    assert shopper.post(reverse("storefront:address_edit", args=[theirs.pk]), {**WORK.__dict__}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.city, theirs.is_default) == ("Amsterdam", True)


def test_address_pages_need_login(client):
    response = client.get(reverse("storefront:address_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_checkout_with_saved_address_copies_it_and_later_edits_do_not_rewrite_the_order(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    services.address_create(customer=customer, data=HOME)
    work = services.address_create(customer=customer, data=WORK)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 2})

    page = shopper.get(reverse("storefront:checkout")).content.decode()
    assert "9 Dock Road" in page
    assert "1 Main Street" in page
    assert "A new address (below)" in page

    response = shopper.post(reverse("storefront:checkout"), {"saved_address": work.pk, "payment_method": "cod"})

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.delivery_name, order.delivery_address, order.delivery_city) == (
        "Casey at work",
        "9 Dock Road",
        "Rotterdam",
    )
    assert_adds_up(order)
    services.address_update(
        address=work, data=services.AddressInput(name="X", address="2 New St", postcode="1", city="Delft")
    )
    services.address_delete(address=work)
    order.refresh_from_db()
    assert (order.delivery_address, order.delivery_city) == ("9 Dock Road", "Rotterdam")


def test_checkout_with_another_customers_address_is_a_form_error_and_places_nothing(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    services.address_create(customer=customer, data=HOME)
    theirs = services.address_create(customer=CustomerFactory(), data=WORK)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    response = shopper.post(reverse("storefront:checkout"), {"saved_address": theirs.pk, "payment_method": "cod"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Order.objects.exists()
    assert product.__class__.objects.get(pk=product.pk).on_hand == 5


def test_checkout_with_a_new_address_saves_it_when_asked(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    typed = {
        "delivery_name": "Casey",
        "delivery_address": "5 Canal Street",
        "delivery_postcode": "1011 AB",
        "delivery_city": "Amsterdam",
        "payment_method": "cod",
        "save_address": "on",
    }

    assert shopper.post(reverse("storefront:checkout"), typed).status_code == 302

    saved = Address.objects.get(customer=customer)
    assert (saved.address, saved.is_default) == ("5 Canal Street", True)
    assert Order.objects.get().delivery_address == "5 Canal Street"


def test_checkout_without_address_or_saved_one_is_a_form_error(shopper, customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    shopper.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})

    response = shopper.post(reverse("storefront:checkout"), {"payment_method": "cod", "delivery_name": "Casey"})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"delivery_address", "delivery_postcode", "delivery_city"}
    assert not Order.objects.exists()


# --- API ----------------------------------------------------------------------------


def test_api_address_crud_and_default(customer, django_assert_max_num_queries):
    client = api(customer)
    first = client.post("/api/v1/addresses/", {**HOME.__dict__}, format="json")
    second = client.post("/api/v1/addresses/", {**WORK.__dict__, "is_default": True}, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["is_default"] is True

    changed = client.put(f"/api/v1/addresses/{first.json()['id']}/", {**HOME.__dict__, "city": "Leiden"}, format="json")
    assert changed.json()["city"] == "Leiden"
    made = client.post(f"/api/v1/addresses/{first.json()['id']}/default/")
    assert made.json()["is_default"] is True
    with django_assert_max_num_queries(3):
        listed = client.get("/api/v1/addresses/").json()
    assert [a["city"] for a in listed] == ["Leiden", "Rotterdam"]
    assert client.delete(f"/api/v1/addresses/{second.json()['id']}/").status_code == 204
    assert Address.objects.filter(customer=customer).count() == 1


def test_api_bad_address_is_400_with_detail_and_saves_nothing(customer):
    response = api(customer).post(
        "/api/v1/addresses/", {"name": "C", "address": "1", "postcode": "", "city": "A"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["postcode"] == ["This field may not be blank."]
    assert not Address.objects.exists()


def test_api_another_customers_address_is_404_everywhere_and_unchanged(customer, store):
    theirs = services.address_create(customer=CustomerFactory(), data=HOME)
    client = api(customer)
    assert client.get(f"/api/v1/addresses/{theirs.pk}/").status_code == 404
    assert client.put(f"/api/v1/addresses/{theirs.pk}/", {**WORK.__dict__}, format="json").status_code == 404
    assert client.post(f"/api/v1/addresses/{theirs.pk}/default/").status_code == 404
    assert client.delete(f"/api/v1/addresses/{theirs.pk}/").status_code == 404
    product = with_stock(ProductFactory(store=store), 5)
    item = {"product": product.pk, "quantity": 1, "unit_price": str(product.current_price)}
    order = client.post(
        "/api/v1/orders/", {"items": [item], "address": theirs.pk, "payment_method": "cod"}, format="json"
    )
    assert order.status_code == 404
    assert not Order.objects.exists()
    theirs.refresh_from_db()
    assert (theirs.city, theirs.is_default) == ("Amsterdam", True)


def test_api_order_with_saved_address_copies_it(customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    mine = services.address_create(customer=customer, data=WORK)
    item = {"product": product.pk, "quantity": 1, "unit_price": str(product.current_price)}

    response = api(customer).post(
        "/api/v1/orders/", {"items": [item], "address": mine.pk, "payment_method": "cod"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["delivery_city"] == "Rotterdam"
    assert_adds_up(Order.objects.get())


def test_api_order_needs_an_address_or_the_delivery_fields(customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    item = {"product": product.pk, "quantity": 1, "unit_price": str(product.current_price)}

    response = api(customer).post("/api/v1/orders/", {"items": [item], "payment_method": "cod"}, format="json")

    assert response.status_code == 400
    assert "delivery_city" in response.json()["errors"]
    assert not Order.objects.exists()
