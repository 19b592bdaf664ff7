"""Two agents on one ticket, in two browser sessions: each sees the other, and the one who replies
second is asked before their reply talks over the first one's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, AgentFactory
from conftest import PHONE, browser_login
from tickets import presence
from tickets import services as ticket_services
from tickets.models import Message
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_agents_see_each_other_and_the_second_reply_asks_first(new_page, customer, monkeypatch):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 1)  # the page beats every second, not every 12
    sla_policies()
    ann = AgentFactory(name="Ann Agent")
    bea = AgentFactory(name="Bea Colleague")
    queue = QueueFactory(agents=[ann, bea])
    ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="Broken lamp", description="?")
    url = f"/desk/tickets/{ticket.pk}/"

    page_ann = new_page(PHONE)  # one of them on a phone: the banner must fit 390 px
    browser_login(page_ann, ann.email, PASSWORD)
    page_ann.goto(url)
    page_bea = new_page()
    browser_login(page_bea, bea.email, PASSWORD)
    page_bea.goto(url)

    # Each sees the other
    expect(page_ann.locator("#presence-list")).to_contain_text("Bea Colleague is viewing")
    expect(page_bea.locator("#presence-list")).to_contain_text("Ann Agent is viewing")

    # Bea types: Ann sees it
    page_bea.locator("textarea[name=body]").fill("A new lamp is on its way.")
    expect(page_ann.locator("#presence-list")).to_contain_text("Bea Colleague is typing a reply")

    # Bea sends; Ann's page, loaded before, is told at the next heartbeat
    page_bea.get_by_role("button", name="Send", exact=True).click()
    expect(page_bea.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(page_ann.locator("#presence-newer")).to_contain_text("New message by Bea Colleague")

    # Ann sends her reply anyway: the desk asks first and sends nothing
    page_ann.locator("textarea[name=body]").fill("We will refund you.")
    page_ann.get_by_role("button", name="Send", exact=True).click()
    warning = page_ann.locator("#collision")
    expect(warning).to_contain_text("Not sent yet: 1 new message since you opened this ticket")
    expect(warning).to_contain_text("A new lamp is on its way.")
    assert not Message.objects.filter(body="We will refund you.").exists()
    width = page_ann.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

    # Her draft is kept; sending again sends it
    expect(page_ann.locator("textarea[name=body]")).to_have_value("We will refund you.")
    page_ann.get_by_role("button", name="Send", exact=True).click()
    expect(page_ann.get_by_text("Reply sent to the customer.")).to_be_visible()
    assert Message.objects.filter(body="We will refund you.", author=ann).count() == 1
