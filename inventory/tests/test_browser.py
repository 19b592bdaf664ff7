"""A customer finds a product, adds it to the cart and checks out, in a real headless Chromium.

Run with ``pytest -m browser``; needs /usr/bin/chromium (never ``playwright install``).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD, CustomerFactory, StoreFactory
from inventory.models import Order, Product

from .factories import ProductFactory, with_stock

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}], ids=["phone", "desktop"]
)
def test_customer_finds_product_adds_to_cart_and_checks_out(live_server, browser, viewport):
    store = StoreFactory()
    product = with_stock(ProductFactory(store=store, name="Blue Teapot", price=Decimal("24.50")), 3)
    ProductFactory(store=store, name="Red Kettle")
    customer = CustomerFactory(name="Casey Customer")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(15000)

    # Find it from the home page search.
    page.goto(live_server.url + "/")
    page.fill("#home-search", "teapot")
    page.press("#home-search", "Enter")
    page.get_by_role("link", name="Blue Teapot").click()
    assert page.get_by_test_id("stock-status").inner_text() == "Only 3 left"

    page.fill("#id_quantity", "2")
    page.get_by_role("button", name="Add to cart").click()
    assert page.get_by_test_id("cart-total").inner_text() == "€49.00"

    # Checkout asks to log in and comes back.
    page.locator("main").get_by_role("link", name="Checkout").click()
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
    page.close()
