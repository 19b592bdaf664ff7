"""A guest's checkout on a phone (390 x 844) with a discount code, in headless Chromium: add to
cart, preview the code on the cart page, order with an email and no account, land on the order's
signed page, and create an account there that keeps the order. No sideways scrolling on any
step; screenshots land in ``output/screenshots/phone/guest-*.png``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Notification, User
from accounts.tests.factories import PASSWORD
from conftest import PHONE
from inventory.models import DiscountCode, Order, StoreShipping
from inventory.tests.factories import ProductFactory, with_stock
from inventory.tests.money import assert_adds_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "output" / "screenshots" / "phone"


def fits_the_phone(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"guest-{name}.png"), full_page=True)


def test_a_guest_checks_out_with_a_discount_code_on_a_phone(new_page, store):
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"))
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp", price=Decimal("19.99")), 10)
    DiscountCode.objects.create(store=store, code="SPRING10", kind="percent", value=Decimal(10))
    page = new_page(PHONE)

    page.goto(lamp.get_absolute_url())
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/shop/cart/")
    page.get_by_label("Discount code").fill("nope")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("discount-error")).to_have_text("There is no such discount code at this shop.")
    page.get_by_label("Discount code").fill("spring10")
    page.get_by_role("button", name="Apply").click()
    # 3 x 19.99 = 59.97; 10% = 6.00 off; 53.97 + 4.95 delivery = 58.92
    expect(page.get_by_test_id("summary-discount")).to_have_text("-€6.00")
    expect(page.get_by_test_id("summary-total")).to_have_text("€58.92")
    fits_the_phone(page, "cart")

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_label("Discount code (optional)")).to_have_value("spring10")
    page.get_by_label("Email").fill("gale@example.com")
    page.get_by_label("Name").fill("Gale Guest")
    page.get_by_label("Address").fill("3 Side Street")
    page.get_by_label("Postcode").fill("1012 AB")
    page.get_by_label("City").fill("Amsterdam")
    fits_the_phone(page, "checkout")
    page.get_by_role("button", name="Place order").click()

    page.wait_for_url("**/shop/orders/guest/**")
    expect(page.get_by_test_id("order-discount")).to_have_text("-€6.00")
    expect(page.get_by_test_id("order-total")).to_have_text("€58.92")
    fits_the_phone(page, "order")
    order = Order.objects.get()
    assert (order.customer, order.guest_email, order.total) == (None, "gale@example.com", Decimal("58.92"))
    assert_adds_up(order)
    mail = Notification.objects.get(idempotency_key=f"order-confirmed:{order.pk}")
    assert page.url.removeprefix(page.url.split("/shop/")[0]) in mail.body

    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(f"**/shop/orders/{order.pk}/")
    expect(page.get_by_test_id("order-total")).to_have_text("€58.92")
    order.refresh_from_db()
    assert order.customer == User.objects.get(email="gale@example.com")
    assert order.guest_email == ""
