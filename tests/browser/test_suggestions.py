"""Suggested answers insert in one click, beside the linked order's stock, on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, AgentFactory
from conftest import PHONE, browser_login
from inventory.tests.factories import ProductFactory, place_order, with_stock
from tickets import services as ticket_services
from tickets import suggestions
from tickets.models import CannedResponse
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_insert_a_suggested_answer_in_one_click(new_page, customer, store, monkeypatch):
    monkeypatch.setattr(suggestions, "_article_providers", [])  # canned answers only: no engine build
    sla_policies()
    agent = AgentFactory()
    queue = QueueFactory(agents=[agent])
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp"), 9)
    order = place_order(customer, (lamp, 1))
    CannedResponse.objects.create(title="Lamp flickers", body="Please try another bulb, {customer_name}.")
    ticket = ticket_services.ticket_create(
        requester=customer, queue=queue, subject="My lamp flickers", description="Since Monday.", order=order
    )
    page = new_page(PHONE)
    browser_login(page, agent.email, PASSWORD)
    page.goto(f"/desk/tickets/{ticket.pk}/")
    expect(page.locator("#suggestions-order")).to_contain_text("1 \u00d7 Desk lamp · pending · 8 in stock")
    page.get_by_role("button", name="Insert “Lamp flickers” into the reply").click()
    expect(page.locator("textarea[name=body]")).to_have_value(f"Please try another bulb, {customer.get_short_name()}.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
