"""In headless Chromium: the chat widget for a visitor and for a signed-in customer, and a hand-over."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from chatbot.models import ChatMessage
from conftest import DESKTOP, PHONE, browser_login
from inventory.models import StoreShipping
from inventory.tests.factories import ProductFactory, place_order, with_stock
from tickets.models import Queue, Ticket
from tickets.services import ticket_reply_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("help_centre")]


def open_chat(page):
    page.get_by_role("button", name="Chat with us").click()
    dialog = page.get_by_role("dialog", name="Help assistant")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()
    return dialog


def say(page, text):
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")


def test_anonymous_visitor_asks_about_shipping_on_a_phone(new_page, store):
    # The answer quotes the store's delivery fee from its settings (chatbot/facts.py).
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"), free_delivery_threshold=Decimal("50"))
    page = new_page(PHONE)
    page.goto("/help/")

    dialog = open_chat(page)
    say(page, "How much is shipping?")

    answer = dialog.locator(".chat-msg-bot").last
    expect(answer).to_contain_text("€4.95")
    link = answer.get_by_role("link", name="Shipping costs and free delivery")
    expect(link).to_have_attribute("href", "/help/shipping-costs/")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    helpful = answer.get_by_role("button", name="Helpful", exact=True)
    helpful.click()
    expect(helpful).to_have_attribute("aria-pressed", "true")
    assert ChatMessage.objects.get(feedback="up").article.slug == "shipping-costs"
    # Typed markup is shown as text, never parsed.
    say(page, "<b>bold</b><img src=x onerror=alert(1)>")
    expect(dialog.locator(".chat-msg-customer").last).to_have_text(re.compile(re.escape("<b>bold</b><img")))
    assert dialog.locator(".chat-msg b, .chat-msg img").count() == 0
    # Asking for a person anonymously: log in first, and no ticket.
    page.get_by_role("button", name="Talk to a person").click()
    login = dialog.locator(".chat-msg-system").last.get_by_role("link", name="Log in")
    expect(login).to_have_attribute("href", "/accounts/login/?next=%2Fhelp%2F")
    assert Ticket.objects.count() == 0
    # Keyboard: Escape closes the panel and gives focus back to the launcher.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with us")).to_be_focused()
    # The conversation is kept: reopening on another page shows it again.
    page.goto("/shop/")
    open_chat(page)
    expect(page.locator(".chat-msg-customer").first).to_have_text(re.compile("How much is shipping"))


def test_customer_asks_where_their_order_is_and_is_handed_over(new_page, customer, agent, store):
    queue = Queue.objects.create(slug="orders", name="Orders & delivery")
    queue.agents.add(agent)
    order = place_order(customer, (with_stock(ProductFactory(store=store, name="Rain Barrel"), 3), 1))
    page = new_page(DESKTOP)
    browser_login(page, customer.email, PASSWORD)
    page.goto("/shop/")

    dialog = open_chat(page)
    say(page, "Where is my order?")
    expect(dialog.locator(".chat-msg-bot").last).to_contain_text(f"Order {order.number}")
    expect(dialog.locator(".chat-msg-bot").last).to_contain_text("being prepared for dispatch")

    # Clicking twice still opens one ticket.
    handover = page.get_by_role("button", name="Talk to a person")
    handover.click()
    note = dialog.locator(".chat-msg-system").last
    expect(note).to_contain_text(re.compile(r"your reference is TCK-\d{5}"))
    page.evaluate("document.getElementById('chat-handover').click()")
    ticket = Ticket.objects.get()
    expect(note).to_contain_text(ticket.reference)
    assert ticket.queue == queue
    assert "Where is my order?" in ticket.description

    # The agent's public reply appears in the chat panel (polling).
    ticket_reply_agent(ticket=ticket, agent=agent, body="Hi! It leaves our warehouse tomorrow.")
    expect(dialog.locator(".chat-msg-agent")).to_contain_text("It leaves our warehouse tomorrow.", timeout=15000)
    assert Ticket.objects.count() == 1
