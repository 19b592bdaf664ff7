"""A retailer's daily tasks on a phone (390 x 844): check stock, adjust it, receive a purchase
order, and follow a low-stock email's link, all in the back office without sideways scrolling
and with touch targets of at least 24 x 24 CSS px (WCAG 2.2, 1.4.10 and 2.5.8).

Screenshots of each step land in ``output/screenshots/phone/retailer-*.png``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Notification
from accounts.tests.factories import PASSWORD
from conftest import PHONE, browser_login
from inventory import services
from inventory.models import StockMovement
from inventory.tests.factories import ProductFactory, PurchaseOrderFactory, PurchaseOrderLineFactory, with_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "output" / "screenshots" / "phone"
MIN_TARGET = 24

# Form controls in the admin's content area that a finger must hit (links inside text are exempt).
SMALL_TARGETS = """min => Array.from(document.querySelectorAll(
    "#content input:not([type=hidden]), #content select, #content button, #content textarea, " +
    "#content input[type=submit], #changelist-filter a"))
  .filter(el => el.getClientRects().length > 0)
  .map(el => ({el, box: el.getBoundingClientRect()}))
  .filter(({box}) => box.width < min || box.height < min)
  .map(({el, box}) => `${el.tagName.toLowerCase()}[name=${el.name || ''}] ${el.textContent.trim().slice(0, 20)}` +
                      ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""


def check_phone_page(page, name: str) -> None:
    """The page fits the phone's width and its controls are big enough; keep a screenshot."""
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide"
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert small == [], f"{name}: {small}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"retailer-{name}.png"), full_page=True)


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def run_action(page, pk: int, action: str) -> None:
    page.locator(f"input[name=_selected_action][value='{pk}']").check()
    page.locator("select[name=action]").select_option(action)
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).first.click()


def test_a_retailers_day_on_a_phone(new_page, retailer, store):
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp", reorder_point=3), 10)
    for n in range(4):
        with_stock(ProductFactory(store=store, name=f"Garden lantern {n}"), 8)
    po = PurchaseOrderFactory(store=store)
    line = PurchaseOrderLineFactory(purchase_order=po, product=lamp, quantity_ordered=12)
    services.purchase_order_mark_ordered(purchase_order=po, expected_date=timezone.localdate() + timedelta(days=3))
    page = new_page(PHONE)
    browser_login(page, retailer.email, PASSWORD)

    # 1. Check stock: the product list shows "On hand" on screen, beside the name.
    page.goto("/admin/inventory/product/")
    row = page.locator("#result_list tr", has_text="Desk lamp")
    expect(row.locator("td.field-on_hand")).to_have_text("10")
    assert on_screen(page.locator("#result_list th.column-on_hand"))
    assert on_screen(row.locator("td.field-on_hand"))
    check_phone_page(page, "product-list")

    # 2. Adjust stock: 8 broken, which takes it under the reorder point.
    run_action(page, lamp.pk, "adjust_stock")
    check_phone_page(page, "adjust-stock")
    page.get_by_label("Quantity").fill("-8")
    page.get_by_label("Reason").fill("Counted: 8 broken")
    page.get_by_role("button", name="Adjust stock").click()
    expect(page.locator(".messagelist")).to_contain_text("Stock adjusted for 1 product")
    lamp.refresh_from_db()
    assert lamp.on_hand == 2
    check_phone_page(page, "adjusted")

    # 3. The low-stock email's link opens the open alerts, which fit the phone too.
    alert = Notification.objects.get(store=store, idempotency_key__startswith="low-stock:")
    path = re.search(r"https?://[^/\s]+(/admin/\S+)", alert.body).group(1)
    assert page.goto(path).status == 200
    expect(page.locator("#result_list")).to_contain_text("Desk lamp")
    check_phone_page(page, "low-stock-alerts")

    # 4. Receive part of a purchase order: the "Receive now" field starts on screen.
    page.goto("/admin/inventory/purchaseorder/")
    check_phone_page(page, "purchase-orders")
    run_action(page, po.pk, "receive_some")
    field = page.get_by_label(f"Receive {lamp.sku}")
    assert on_screen(field)
    check_phone_page(page, "receive-purchase-order")
    field.fill("5")
    page.get_by_role("button", name="Book receipt").click()
    expect(page.locator(".messagelist")).to_contain_text("goods received")
    line.refresh_from_db()
    lamp.refresh_from_db()
    assert (line.quantity_received, lamp.on_hand) == (5, 7)
    kinds = list(StockMovement.objects.filter(product=lamp).order_by("pk").values_list("kind", "quantity"))
    assert kinds == [("receipt", 10), ("adjustment", -8), ("receipt", 5)]
    check_phone_page(page, "received")
