"""A customer finds a product, adds it to the cart and checks out, in a real headless Chromium.

Run with ``pytest -m browser``; needs /usr/bin/chromium (never ``playwright install``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import PASSWORD, CustomerFactory, StoreFactory
from inventory.models import Order, Product

from .factories import ProductFactory, with_stock

# One shared Chromium for the whole session (root conftest): two Playwright instances in
# one process collide on their event loops.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}], ids=["phone", "desktop"]
)
def test_customer_finds_product_adds_to_cart_and_checks_out(new_page, viewport):
    store = StoreFactory()
    product = with_stock(ProductFactory(store=store, name="Blue Teapot", price=Decimal("24.50")), 3)
    ProductFactory(store=store, name="Red Kettle")
    customer = CustomerFactory(name="Casey Customer")
    page = new_page(viewport)

    # Find it from the home page search.
    page.goto("/")
    page.fill("#home-search", "teapot")
    page.press("#home-search", "Enter")
    page.get_by_role("link", name="Blue Teapot").click()
    assert page.get_by_test_id("stock-status").inner_text() == "Only 3 left"

    page.fill("#id_quantity", "2")
    page.get_by_role("button", name="Add to cart").click()
    assert page.get_by_test_id("cart-total").inner_text() == "€49.00"

    # Checkout offers to log in (a guest may also buy) and comes back after it.
    page.locator("main").get_by_role("link", name="Checkout").click()
    page.locator("main").get_by_role("link", name="Log in").click()
    page.fill("input[name=username]", customer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    assert "Nothing is charged now" in page.content()
    page.fill("#id_delivery_address", "1 Main Street")
    page.fill("#id_delivery_postcode", "1000 AA")
    page.fill("#id_delivery_city", "Amsterdam")
    page.get_by_label("Pay at pickup").check()
    page.get_by_role("button", name="Place order").click()

    assert page.get_by_test_id("order-status").inner_text() == "Placed"
    order = Order.objects.get(customer=customer)
    assert (order.total, order.payment_method, order.delivery_name) == (Decimal("49.00"), "pickup", "Casey Customer")
    assert Product.objects.get(pk=product.pk).on_hand == 1
