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
from .models import CannedResponse, Message, Priority, Queue, SLAPolicy, Status, Ticket

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


# -- scaled data for the load benchmark (`manage.py seed_scaled`) ---------------------------------

SCALED_SUBJECTS = [
    "Where is my parcel?",
    "Wrong colour delivered",
    "Refund not received yet",
    "Can I change my delivery address?",
    "Item arrived damaged",
    "Question about sizes",
    "Cannot log in to my account",
    "Missing part in my order",
    "Invoice needed for my company",
    "When is this back in stock?",
]


def seed_scaled_tickets(report: SeedReport, *, tickets: int, open_share: float, messages: int, requester_ids) -> None:
    """Top the desk up to ``tickets`` tickets (about ``open_share`` of them open) and ``messages`` messages.

    Written in bulk, with due times from the SLA policies as ``ticket_create`` would set them, so the
    desk's queue, overdue and search views see realistic data. Idempotent: counts are targets.
    """
    rng = random.Random(11)
    now = timezone.now()
    missing = tickets - Ticket.objects.count()
    queues = list(Queue.objects.filter(is_active=True).prefetch_related("agents"))
    policies = {p.priority: p for p in SLAPolicy.objects.all()}
    if missing <= 0 or not queues or not requester_ids:
        return
    open_statuses = [Status.NEW, Status.OPEN, Status.OPEN, Status.WAITING, Status.ON_HOLD]
    rows = []
    for n in range(missing):
        queue = queues[n % len(queues)]
        agents = list(queue.agents.all())
        priority = rng.choice([Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT])
        is_open = rng.random() < open_share
        status = rng.choice(open_statuses) if is_open else rng.choice([Status.RESOLVED, Status.CLOSED])
        created = now - timedelta(minutes=rng.randint(10, 60 * 24 * 180 if not is_open else 60 * 24 * 10))
        policy = policies.get(priority)
        answered = status != Status.NEW
        rows.append(
            Ticket(
                requester_id=requester_ids[rng.randrange(len(requester_ids))],
                queue=queue,
                subject=SCALED_SUBJECTS[n % len(SCALED_SUBJECTS)],
                description="Hello, I have a question about my order. Could you have a look? Thanks.",
                priority=priority,
                status=status,
                assignee=rng.choice(agents) if agents and status != Status.NEW else None,
                first_response_due_at=created + timedelta(minutes=policy.first_response_minutes) if policy else None,
                resolution_due_at=created + timedelta(minutes=policy.resolution_minutes) if policy else None,
                first_responded_at=created + timedelta(minutes=rng.randint(5, 120)) if answered else None,
                paused_at=now if status == Status.WAITING else None,
                resolved_at=created + timedelta(days=1) if not is_open else None,
                closed_at=created + timedelta(days=8) if status == Status.CLOSED else None,
            )
        )
    with transaction.atomic():
        Ticket.objects.bulk_create(rows, batch_size=5000)
        # auto_now_add stamped "now"; spread creation back over the simulated history.
        for chunk in range(0, len(rows), 5000):
            batch = rows[chunk : chunk + 5000]
            for ticket in batch:
                ticket.created_at = ticket.first_response_due_at - timedelta(
                    minutes=policies[ticket.priority].first_response_minutes
                )
            Ticket.objects.bulk_update(batch, ["created_at"], batch_size=5000)
        want = max(messages - Message.objects.count(), 0)
        message_rows = []
        for i in range(want):
            ticket = rows[i % len(rows)]
            from_agent = i % 2 == 1 and ticket.assignee_id is not None
            message_rows.append(
                Message(
                    ticket_id=ticket.pk,
                    author_id=ticket.assignee_id if from_agent else ticket.requester_id,
                    author_kind=Message.AuthorKind.AGENT if from_agent else Message.AuthorKind.CUSTOMER,
                    body="Thanks, we are looking into it." if from_agent else "Any news on this? Thank you.",
                    is_internal=from_agent and i % 10 == 3,
                )
            )
        Message.objects.bulk_create(message_rows, batch_size=5000)
    report.count("load tickets", len(rows))
    report.count("load ticket messages", len(message_rows))
