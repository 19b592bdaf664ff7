"""Rough edges a new user met in their first hour (issue 21): money as people read it, one email
for one action."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import timezone

from accounts.tests.factories import AgentFactory, CustomerFactory
from inventory import services as inventory_services
from inventory.models import BudgetAlert
from inventory.tests.factories import PurchaseOrderLineFactory
from tickets import services as ticket_services
from tickets.models import Status
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("16434.8500000000"), "€16,434.85"),
        (Decimal("0.005"), "€0.01"),
        (Decimal("-3.2"), "-€3.20"),
        ("7", "€7.00"),
        (None, ""),
    ],
)
def test_money_is_shown_to_the_cent_in_the_shops_currency(amount, shown):
    assert Template("{% load money %}{{ amount|money }}").render(Context({"amount": amount})) == shown


def test_the_budget_email_shows_money_to_the_cent(store, django_capture_on_commit_callbacks):
    store.monthly_budget = Decimal("100.00")
    store.alert_emails = "owner@example.com"
    store.save()
    # Costs whose sum a database keeps with trailing digits (SQLite sums decimals as text)
    with django_capture_on_commit_callbacks(execute=True):
        for quantity, cost in ((7, "4.15"), (9, "9.85"), (3, "1.05")):
            line = PurchaseOrderLineFactory(
                purchase_order__store=store, quantity_ordered=quantity, unit_cost=Decimal(cost)
            )
            inventory_services.purchase_order_mark_ordered(
                purchase_order=line.purchase_order, expected_date=timezone.localdate()
            )
            inventory_services.purchase_order_receive(purchase_order=line.purchase_order)
    alert = BudgetAlert.objects.get()
    assert alert.spent == Decimal("117.70")  # 29.05 + 88.65: the receipt that crossed it
    [email] = [m for m in mail.outbox if m.to == ["owner@example.com"] and "budget" in m.subject]
    assert "now total €117.70, past the monthly purchasing budget of €100.00." in email.body


def test_a_reply_that_resolves_sends_one_email_with_the_rating_link(django_capture_on_commit_callbacks):
    sla_policies()
    agent = AgentFactory()
    customer = CustomerFactory()
    queue = QueueFactory(agents=[agent])
    ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="Lamp", description="Broken")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply_agent(
            ticket=ticket, agent=agent, body="A new one is on its way.", set_status=Status.RESOLVED
        )
    [email] = [m for m in mail.outbox if m.to == [customer.email]]
    assert email.subject == f"[{ticket.reference}] Resolved: Lamp"
    assert "A new one is on its way." in email.body
    assert "/support/rate/" in email.body


def test_a_reply_that_asks_for_information_says_so_in_the_same_email(django_capture_on_commit_callbacks):
    sla_policies()
    agent = AgentFactory()
    customer = CustomerFactory()
    ticket = ticket_services.ticket_create(
        requester=customer, queue=QueueFactory(agents=[agent]), subject="Lamp", description="Broken"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply_agent(ticket=ticket, agent=agent, body="Which model?", set_status=Status.WAITING)
    [email] = [m for m in mail.outbox if m.to == [customer.email]]
    assert email.subject == f"Re: [{ticket.reference}] Lamp"
    assert "Your request is now: waiting on customer. We are waiting for an answer from you" in email.body
