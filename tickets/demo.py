"""Demo helpdesk: queues, agents, SLA policies, canned responses and tickets in every state."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.demo import SeedReport
from accounts.models import Role, User

from . import services
from .models import CannedResponse, Priority, Queue, SLAPolicy, Status, Ticket

QUEUES = [
    ("general", "General questions", "Anything else; email to support lands here first"),
    ("orders", "Orders & delivery", "Where is my order, delivery times, changing an order"),
    ("returns", "Returns & refunds", "Sending something back, refunds, damaged items"),
    ("products", "Product questions", "Sizes, materials, availability, how to use it"),
    ("account", "Account & login", "Passwords, email address, personal data"),
    ("feedback", "Feedback & suggestions", "Ideas and compliments"),
]
SLA = [("low", 480, 4320), ("normal", 240, 1440), ("high", 60, 480), ("urgent", 30, 240)]
AGENTS = [
    ("agent@stockdesk.local", "Alex Agent", ["general", "orders", "returns", "products", "account", "feedback"]),
    ("sam.agent@stockdesk.local", "Sam Support", ["orders", "returns"]),
    ("kim.agent@stockdesk.local", "Kim Care", ["products", "account", "feedback"]),
]
CANNED = [
    (
        "Thanks, looking into it",
        None,
        "Hello {customer_name},\n\nThank you for your message about {ticket_reference}. I am looking into it and will get back to you today.",
    ),
    (
        "Order is on its way",
        "orders",
        "Hello {customer_name},\n\nYour order {order_number} has left our warehouse and should reach you within 2 working days.",
    ),
    (
        "Return instructions",
        "returns",
        "Hello {customer_name},\n\nYou can return the item within 30 days of delivery. Start the return from My orders; we refund within 5 working days of receiving it.",
    ),
    (
        "Password reset",
        "account",
        "Hello {customer_name},\n\nUse 'Forgot your password?' on the log-in page; the link in the email works for three hours.",
    ),
]
CUSTOMERS = [
    ("customer@stockdesk.local", "Casey Customer"),
    ("jo.bloggs@example.com", "Jo Bloggs"),
    ("maria.garcia@example.com", "Maria Garcia"),
    ("tom.de.vries@example.com", "Tom de Vries"),
]
TICKETS = [
    (
        "orders",
        "Where is my parcel?",
        "I ordered a week ago and the tracking has not changed since Monday.",
        Status.OPEN,
    ),
    (
        "orders",
        "Can I change the delivery address?",
        "I'm moving on Friday. Could you send the order to my new address instead?",
        Status.NEW,
    ),
    (
        "returns",
        "Vase arrived broken",
        "The glass vase was in pieces when I opened the box. Photos attached later.",
        Status.WAITING,
    ),
    ("returns", "Refund not received yet", "I sent the chair back two weeks ago; no refund so far.", Status.ON_HOLD),
    (
        "products",
        "Is the oak table treated?",
        "Does the oak dining table come oiled, or do I need to treat it myself?",
        Status.RESOLVED,
    ),
    ("products", "Garden hose length", "Is the 25 m hose also available in 50 m?", Status.CLOSED),
    ("account", "Can't log in", "It says my password is wrong but I'm sure it's right.", Status.RESOLVED),
    ("feedback", "Lovely service", "Just wanted to say the delivery driver was very friendly. Thanks!", Status.CLOSED),
    ("orders", "Missing item in my order", "The order came without the lampshade.", Status.NEW),
    ("returns", "Wrong colour delivered", "I ordered the blue cushions and got grey ones.", Status.OPEN),
]


@transaction.atomic
def seed_helpdesk(report: SeedReport) -> None:
    for priority, first, resolve in SLA:
        _, created = SLAPolicy.objects.get_or_create(
            priority=priority, defaults={"first_response_minutes": first, "resolution_minutes": resolve}
        )
        report.count("SLA policies", int(created))
    queues = {}
    for position, (slug, name, description) in enumerate(QUEUES):
        queues[slug], created = Queue.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
        report.count("queues", int(created))
    agent_group = Group.objects.get(name=Role.AGENT)
    for email, name, queue_slugs in AGENTS:
        agent, created = User.objects.get_or_create(email=email, defaults={"name": name, "is_staff": True})
        if created:
            agent.set_password("stockdesk-agent")
            agent.save(update_fields=["password"])
            report.count("agents")
        agent.groups.add(agent_group)
        for slug in queue_slugs:
            queues[slug].agents.add(agent)
    for title, queue_slug, body in CANNED:
        _, created = CannedResponse.objects.get_or_create(
            title=title, defaults={"body": body, "queue": queues.get(queue_slug) if queue_slug else None}
        )
        report.count("canned responses", int(created))

    customer_group = Group.objects.get(name=Role.CUSTOMER)
    customers = []
    for email, name in CUSTOMERS:
        user, created = User.objects.get_or_create(email=email, defaults={"name": name})
        if created:
            user.set_password("stockdesk-customer")
            user.save(update_fields=["password"])
        user.groups.add(customer_group)
        customers.append(user)
    if Ticket.objects.filter(requester__in=customers).exists():
        return
    _seed_tickets(report, queues, customers)


def _seed_tickets(report: SeedReport, queues: dict[str, Queue], customers: list[User]) -> None:
    rng = random.Random(42)
    now = timezone.now()
    for index, (slug, subject, description, target) in enumerate(TICKETS):
        requester = customers[index % len(customers)]
        ticket = services.ticket_create(
            requester=requester, queue=queues[slug], subject=subject, description=description
        )
        # Spread the history over the last two weeks so the desk and dashboard look lived-in.
        created = now - timedelta(days=rng.randint(0, 14), hours=rng.randint(0, 23))
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        ticket.refresh_from_db()
        services._set_due_times(ticket)  # due times follow the back-dated creation
        ticket.save(update_fields=["first_response_due_at", "resolution_due_at"])
        agent = ticket.assignee or queues[slug].agents.first()
        if target != Status.NEW:
            services.ticket_reply_agent(
                ticket=ticket,
                agent=agent,
                body=f"Hello {requester.get_short_name()}, thank you for getting in touch. I'm on it.",
            )
        if target in (Status.WAITING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED):
            services.ticket_change_status(
                ticket=ticket, status=target if target != Status.CLOSED else Status.RESOLVED, actor=agent
            )
        if target == Status.CLOSED:
            services.ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=agent)
            services.ticket_rate(ticket=ticket, score=rng.choice([4, 5, 5]), comment="Thanks for the quick help.")
        if index == 0:
            services.ticket_change_priority(ticket=ticket, priority=Priority.HIGH, actor=agent)
        report.count("tickets")
