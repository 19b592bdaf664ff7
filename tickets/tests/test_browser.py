"""In a real headless Chromium: a customer raises a ticket, an agent answers, the customer rates it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from conftest import DESKTOP, PHONE, browser_login
from tickets.models import CannedResponse, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_ticket_round_trip(new_page, customer, agent, queue, viewport):
    # The customer raises a ticket
    page = new_page(viewport)
    browser_login(page, customer.email, PASSWORD)
    page.goto("/support/tickets/new/")
    page.get_by_label("What is it about?").select_option(str(queue.pk))
    page.get_by_label("Subject").fill("My lamp flickers")
    page.get_by_label("Tell us more").fill("The new desk lamp flickers when dimmed.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/support/tickets/TCK-\d+/$"))
    assert "has been received" in page.content()
    ticket = Ticket.objects.get()

    # The agent answers it from the desk (a canned response first: read when the list opens,
    # inserted as text) and resolves it
    CannedResponse.objects.create(title="<b>Bulb</b>", body="Hi {customer_name}, about {ticket_reference}: <img src=x>")
    desk = new_page(viewport)
    browser_login(desk, agent.email, PASSWORD)
    desk.goto("/desk/?view=mine")
    desk.get_by_role("link", name=re.compile("My lamp flickers")).click()
    desk.get_by_text("Canned responses").click()
    desk.locator("button.canned", has_text="<b>Bulb</b>").click()  # the title as text, not markup
    canned = f"Hi {customer.get_short_name()}, about {ticket.reference}: <img src=x>"
    expect(desk.locator("textarea[name=body]")).to_have_value(canned)
    desk.locator("textarea[name=body]").fill("Please try another bulb; we will send one for free.")
    desk.get_by_label("Then set status").select_option("resolved")
    desk.get_by_role("button", name="Send", exact=True).click()
    assert "Reply sent to the customer" in desk.content()

    # The customer sees the reply and rates it through the link in the resolution email
    page.reload()
    assert "Please try another bulb" in page.content()
    resolution = next(m for m in mail.outbox if "Resolved" in m.subject and m.to == [customer.email])
    link = re.search(r"https?://\S+/support/rate/\S+/", resolution.body).group(0)
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])
    page.locator("input[name=score][value='5']").check()
    page.locator("textarea[name=comment]").fill("Quick and kind")
    page.get_by_role("button", name="Send rating").click()
    assert "Thank you for your rating" in page.content()
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (5, "Quick and kind")
