"""The storefront cache: served without queries when warm, never stale after a committed change,
untouched by a rolled-back one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services, storefront_cache

from .factories import ProductFactory, place_order, with_stock

# Transactional: the cache is bumped when a change commits, and read only outside transactions.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_commit():
    """Run a block as its own committed transaction."""

    def run(action):
        with transaction.atomic():
            return action()

    return run


def test_warm_catalogue_and_product_page_need_no_queries_for_anonymous_visitors(
    client, store, on_commit, django_assert_num_queries
):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot"), 20))
    for url in (reverse("home"), reverse("storefront:catalogue"), product.get_absolute_url()):
        client.get(url)

    with django_assert_num_queries(0):
        home = client.get(reverse("home"))
        listing = client.get(reverse("storefront:catalogue"))
        page = client.get(product.get_absolute_url())

    assert home.status_code == 200

    assert "Teapot" in listing.content.decode()
    assert "In stock" in page.content.decode()


def test_a_sale_updates_the_product_page_and_selling_out_updates_the_listing(client, store, customer, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot", reorder_point=2), 8))
    assert "In stock" in client.get(product.get_absolute_url()).content.decode()
    assert "Out of stock" not in client.get(reverse("storefront:catalogue")).content.decode()

    on_commit(lambda: place_order(customer, (product, 5)))
    assert "Only 3 left" in client.get(product.get_absolute_url()).content.decode()

    on_commit(lambda: place_order(customer, (product, 3)))
    assert "Out of stock" in client.get(product.get_absolute_url()).content.decode()
    assert "Out of stock" in client.get(reverse("storefront:catalogue")).content.decode()


def test_a_sale_that_leaves_stock_does_not_empty_the_catalogue_cache(
    client, store, customer, on_commit, django_assert_num_queries
):
    product = on_commit(lambda: with_stock(ProductFactory(store=store), 30))
    client.get(reverse("storefront:catalogue"))

    on_commit(lambda: place_order(customer, (product, 1)))

    with django_assert_num_queries(0):
        client.get(reverse("storefront:catalogue"))


def test_an_edit_in_the_back_office_shows_at_once(admin_client, client, store, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot", price=Decimal("10.00")), 5))
    client.get(reverse("storefront:catalogue"))
    client.get(product.get_absolute_url())

    product.name, product.price = "Blue Teapot", Decimal("12.50")
    on_commit(product.save)

    assert "Blue Teapot" in client.get(reverse("storefront:catalogue")).content.decode()
    assert "€12.50" in client.get(product.get_absolute_url()).content.decode()


def test_a_rolled_back_change_never_reaches_the_cache(client, store, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot"), 20))
    client.get(product.get_absolute_url())

    def doomed():
        with transaction.atomic():
            services.stock_adjust(product=product, quantity=-18, reason="count", actor=None)
            # Rendered inside the doomed transaction: must not be cached under a version others use.
            assert "Only 2 left" in client.get(product.get_absolute_url()).content.decode()
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        doomed()

    assert "In stock" in client.get(product.get_absolute_url()).content.decode()


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_cached_page_gets_each_visitors_own_working_csrf_token(store, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot"), 20))
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    page_one = first.get(product.get_absolute_url()).content.decode()
    page_two = second.get(product.get_absolute_url()).content.decode()  # served from the page cache

    assert storefront_cache.CSRF_PLACEHOLDER not in page_one + page_two
    assert _token(page_one) != _token(page_two)
    assert second.cookies["csrftoken"].value  # the cookie that goes with the token is set on a hit too
    added = second.post(
        reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1, "csrfmiddlewaretoken": _token(page_two)}
    )
    assert added.status_code == 302  # accepted: not a 403 CSRF failure
    assert "Teapot" in second.get(reverse("storefront:cart")).content.decode()


def test_signed_in_visitors_and_waiting_messages_never_get_the_anonymous_page(client, store, customer, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, name="Teapot"), 20))
    anonymous = client.get(product.get_absolute_url()).content.decode()
    assert "Log in" in anonymous

    client.force_login(customer)
    signed_in = client.get(product.get_absolute_url()).content.decode()
    assert "Log in" not in signed_in
    assert customer.get_short_name() in signed_in

    client.logout()
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})  # queues "Added ..."
    shown = client.get(product.get_absolute_url()).content.decode()
    assert "Added 1 x Teapot to your cart" in shown
    assert "Added 1 x Teapot" not in client.get(product.get_absolute_url()).content.decode()  # shown once


def test_a_wrong_slug_still_redirects_after_the_page_was_cached(client, store, on_commit):
    product = on_commit(lambda: with_stock(ProductFactory(store=store, slug="teapot"), 20))
    client.get(product.get_absolute_url())

    response = client.get(reverse("storefront:product", args=[product.pk, "something-else"]))

    assert response.status_code == 301
    assert response["Location"] == product.get_absolute_url()


def test_a_release_invalidates_every_cached_page(client, store, on_commit, django_assert_num_queries):
    product = on_commit(lambda: with_stock(ProductFactory(store=store), 20))
    client.get(product.get_absolute_url())
    with django_assert_num_queries(0):
        client.get(product.get_absolute_url())

    call_command("clear_storefront_cache")  # the Procfile's release step, after migrate

    with CaptureQueriesContext(connection) as rebuilt:
        client.get(product.get_absolute_url())
    assert len(rebuilt) > 0  # rendered again by the new release's templates
