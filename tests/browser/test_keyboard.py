"""Keyboard only: the chat panel and the checkout, with no mouse and no clicks.

On a phone the chat panel covers the screen, so it must act as a modal dialog: focus stays in
it, the page behind it is inert, and Escape closes it and puts focus back on the launcher. A
checkout that comes back with errors puts focus on the first one.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from conftest import DESKTOP, PHONE, browser_login
from inventory.models import Order
from inventory.tests.factories import ProductFactory, with_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE_ID = "() => document.activeElement ? document.activeElement.id : null"
FOCUS_IN_PANEL = "() => document.getElementById('chat-panel').contains(document.activeElement)"


def tab_to(page, target: str, limit: int = 60) -> None:
    """Press Tab until ``target`` (a Playwright selector for one element) has focus, as a keyboard user would."""
    element = page.locator(target)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if element.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached in {limit} Tab presses")


def test_chat_on_a_phone_is_a_modal_dialog_that_holds_focus(new_page):
    page = new_page(PHONE)
    page.goto("/help/")
    # The launcher is the first control after the skip link and the brand, not the last of ~40.
    tab_to(page, "#chat-launcher", limit=3)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Help assistant")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert page.evaluate(ACTIVE_ID) == "chat-input"
    assert page.evaluate("() => document.querySelector('main').inert && document.querySelector('nav').inert")

    # Forwards and backwards, twice round: focus never leaves the dialog.
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_IN_PANEL), (key, page.evaluate(ACTIVE_ID))

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(ACTIVE_ID) == "chat-launcher"
    expect(page.locator("#chat-launcher")).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("() => !document.querySelector('main').inert && !document.querySelector('nav').inert")


def test_chat_on_a_wide_screen_is_a_panel_beside_the_page(new_page):
    page = new_page(DESKTOP)
    page.goto("/help/")
    tab_to(page, "#chat-launcher")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Help assistant")
    expect(dialog).to_have_attribute("aria-modal", "false")
    assert page.evaluate("() => !document.querySelector('main').inert")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(ACTIVE_ID) == "chat-launcher"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_checkout_with_the_keyboard_focuses_the_first_error(viewport, new_page, customer, store):
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp"), 5)
    page = new_page(viewport)
    browser_login(page, customer.email, PASSWORD)
    page.goto(lamp.get_absolute_url())
    tab_to(page, "main button:text-is('Add to cart') >> nth=0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "main a:text-is('Checkout')")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Straight to "Place order" with the address left empty.
    tab_to(page, "main button:text-is('Place order')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main form [aria-invalid='true']").first).to_be_focused()
    assert page.evaluate(ACTIVE_ID) == "id_delivery_address"
    assert not Order.objects.filter(customer=customer).exists()

    # Fix it from where focus landed, then finish with the keyboard alone.
    page.keyboard.type("5 Orchard Lane")
    for field, text in [("#id_delivery_postcode", "1000 AB"), ("#id_delivery_city", "Amsterdam")]:
        tab_to(page, field)
        page.keyboard.type(text)
    tab_to(page, "main button:text-is('Place order')")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("order-status")).to_have_text("Placed")
    order = Order.objects.get(customer=customer)
    assert (order.delivery_address, order.delivery_city) == ("5 Orchard Lane", "Amsterdam")
