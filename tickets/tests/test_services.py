"""Ticket use cases: workflow, assignment, SLA, replies, merge, rating, notifications."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from accounts.sms import LocMemSMSBackend
from accounts.tests.factories import AgentFactory, CustomerFactory
from tickets import services
from tickets.models import Message, Priority, Status, Ticket, TicketEvent
from tickets.services import TRANSITIONS, TicketError

from .factories import QueueFactory

pytestmark = pytest.mark.django_db


def _at(ticket: Ticket, status: str) -> Ticket:
    """Put a ticket in a status directly (test setup only), with consistent timestamps."""
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        status=status,
        resolved_at=now if status in (Status.RESOLVED, Status.CLOSED) else None,
        paused_at=now if status == Status.WAITING else None,
    )
    ticket.refresh_from_db()
    return ticket


# --- creation, confirmation, assignment ---------------------------------------------


def test_create_sets_sla_due_times_assigns_and_confirms(queue, customer, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            requester=customer, queue=queue, subject="  Broken   lamp ", description="Arrived broken"
        )

    assert ticket.subject == "Broken lamp"
    assert ticket.status == Status.NEW
    assert ticket.reference == f"TCK-{ticket.pk:05d}"
    assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=60)
    assert ticket.resolution_due_at == ticket.created_at + timedelta(minutes=480)
    assert ticket.assignee == agent
    assert list(ticket.messages.values_list("author_kind", "body")) == [("customer", "Arrived broken")]
    assert list(ticket.events.values_list("kind", flat=True)) == ["created", "assignee"]
    subjects = {(m.to[0], m.subject) for m in mail.outbox}
    assert (customer.email, f"[{ticket.reference}] We received your request: Broken lamp") in subjects
    assert (agent.email, f"[{ticket.reference}] Assigned to you: Broken lamp") in subjects
    assert len(mail.outbox) == 2


def test_auto_assign_picks_least_loaded_available_agent(sla, customer):
    busy, light, away = AgentFactory(), AgentFactory(), AgentFactory(is_away=True)
    queue = QueueFactory(agents=[busy, light, away])
    for _ in range(2):
        services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    # Both went round-robin by load: one each (ties broken by id), never to the away agent
    assert Ticket.objects.filter(assignee=away).count() == 0
    Ticket.objects.update(assignee=busy)
    services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    assert Ticket.objects.latest("pk").assignee == light


def test_resolved_tickets_do_not_count_as_load(sla, customer):
    first, second = AgentFactory(), AgentFactory()
    queue = QueueFactory(agents=[first, second])
    done = services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    Ticket.objects.filter(pk=done.pk).update(assignee=first, status=Status.RESOLVED, resolved_at=timezone.now())
    assert services.agent_pick_for_queue(queue) == first


def test_nobody_available_leaves_ticket_unassigned(sla, customer):
    queue = QueueFactory(agents=[AgentFactory(is_away=True)])
    ticket = services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    assert ticket.assignee is None


@pytest.mark.parametrize(("subject", "description"), [("", "text"), ("subject", "   ")])
def test_create_refuses_empty_input_and_creates_nothing(queue, customer, subject, description):
    with pytest.raises(TicketError):
        services.ticket_create(requester=customer, queue=queue, subject=subject, description=description)
    assert Ticket.objects.count() == 0
    assert Notification.objects.count() == 0


def test_claim_reassign_unassign_are_in_history(ticket, agent, queue):
    colleague = AgentFactory()
    queue.agents.add(colleague)
    services.ticket_assign(ticket=ticket, assignee=colleague, actor=agent)
    services.ticket_assign(ticket=ticket, assignee=None, actor=agent)
    services.ticket_claim(ticket=ticket, agent=colleague)
    changes = list(ticket.events.filter(kind="assignee").values_list("old_value", "new_value"))
    assert changes == [
        ("", agent.email),
        (agent.email, colleague.email),
        (colleague.email, ""),
        ("", colleague.email),
    ]


def test_cannot_assign_to_someone_outside_the_queue(ticket, agent):
    stranger = AgentFactory()
    with pytest.raises(TicketError, match="not an agent"):
        services.ticket_assign(ticket=ticket, assignee=stranger, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_agent_outside_the_queue_cannot_change_the_ticket(ticket):
    outsider = AgentFactory()
    for call in (
        lambda: services.ticket_change_status(ticket=ticket, status=Status.OPEN, actor=outsider),
        lambda: services.ticket_change_priority(ticket=ticket, priority=Priority.HIGH, actor=outsider),
        lambda: services.ticket_reply_agent(ticket=ticket, agent=outsider, body="hi"),
        lambda: services.ticket_claim(ticket=ticket, agent=outsider),
    ):
        with pytest.raises(TicketError):
            call()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.messages.count()) == (Status.NEW, Priority.NORMAL, 1)


# --- the status workflow ------------------------------------------------------------

ALL_PAIRS = [(a, b) for a in Status.values for b in Status.values if a != b]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS)
def test_transition_map(ticket, agent, start, target):
    _at(ticket, start)
    events_before = ticket.events.count()
    if target in TRANSITIONS[start]:
        services.ticket_change_status(ticket=ticket, status=target, actor=agent)
        ticket.refresh_from_db()
        assert ticket.status == target
        assert ticket.events.filter(kind="status", old_value=start, new_value=target).count() == 1
    else:
        with pytest.raises(TicketError, match="cannot become"):
            services.ticket_change_status(ticket=ticket, status=target, actor=agent)
        ticket.refresh_from_db()
        assert ticket.status == start
        assert ticket.events.count() == events_before


def test_unknown_status_is_refused(ticket, agent):
    with pytest.raises(TicketError, match="Unknown status"):
        services.ticket_change_status(ticket=ticket, status="deleted", actor=agent)


def test_customer_may_only_close_their_ticket(ticket, customer):
    with pytest.raises(TicketError, match="only close"):
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=customer)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=customer)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_status_change_tells_the_customer_and_resolution_carries_a_rating_link(
    ticket, agent, customer, django_capture_on_commit_callbacks
):
    customer.phone, customer.sms_opt_in = "+31612345678", True
    customer.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"[{ticket.reference}] Resolved: Where is my parcel?"
    assert "/support/rate/" in mail.outbox[0].body
    assert [sms["to"] for sms in LocMemSMSBackend.outbox] == ["+31612345678"]


# --- SLA ----------------------------------------------------------------------------


def test_waiting_on_customer_pauses_the_clock(ticket, agent):
    due_first, due_resolve = ticket.first_response_due_at, ticket.resolution_due_at
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        services.ticket_change_status(ticket=ticket, status=Status.WAITING, actor=agent)
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(hours=5)):
        services.ticket_change_status(ticket=ticket, status=Status.OPEN, actor=agent)
    ticket.refresh_from_db()
    assert ticket.paused_at is None
    assert ticket.paused_seconds == 5 * 3600
    assert ticket.first_response_due_at == due_first + timedelta(hours=5)
    assert ticket.resolution_due_at == due_resolve + timedelta(hours=5)


def test_paused_ticket_never_breaches(ticket, agent):
    services.ticket_change_status(ticket=ticket, status=Status.WAITING, actor=agent)
    assert services.tickets_mark_sla_breaches(now=timezone.now() + timedelta(days=3)) == 0


def test_breach_notifies_once_and_raises_priority(ticket, agent, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    later = ticket.first_response_due_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tickets_mark_sla_breaches(now=later) == 1
        assert services.tickets_mark_sla_breaches(now=later + timedelta(minutes=5)) == 0
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == later
    assert ticket.resolution_breached_at is None
    assert ticket.priority == Priority.HIGH
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert "SLA breached (first response)" in mail.outbox[0].subject
    # The resolution target is a separate breach, notified once too
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tickets_mark_sla_breaches(now=ticket.resolution_due_at + timedelta(minutes=1)) == 1
        assert services.tickets_mark_sla_breaches(now=ticket.resolution_due_at + timedelta(minutes=9)) == 0
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert len(mail.outbox) == 2


def test_breach_of_unassigned_ticket_tells_the_queue_agents(sla, customer, django_capture_on_commit_callbacks):
    a, b = AgentFactory(is_away=True), AgentFactory(is_away=True)
    queue = QueueFactory(agents=[a, b])
    ticket = services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_mark_sla_breaches(now=ticket.first_response_due_at + timedelta(minutes=1))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, b.email])


def test_first_reply_stops_the_first_response_clock(ticket, agent):
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="Looking into it")
    assert services.tickets_mark_sla_breaches(now=ticket.first_response_due_at + timedelta(minutes=1)) == 0


def test_priority_change_recomputes_due_times(ticket, agent):
    services.ticket_change_priority(ticket=ticket, priority=Priority.URGENT, actor=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=15)
    assert ticket.resolution_due_at == ticket.created_at + timedelta(minutes=60)
    with pytest.raises(TicketError):
        services.ticket_change_priority(ticket=ticket, priority="whenever", actor=agent)


# --- replies ------------------------------------------------------------------------


def test_agent_reply_reaches_customer_by_email_and_sms(ticket, agent, customer, django_capture_on_commit_callbacks):
    customer.phone, customer.sms_opt_in = "+31612345678", True
    customer.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_agent(ticket=ticket, agent=agent, body="It ships tomorrow.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_responded_at is not None
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert "It ships tomorrow." in mail.outbox[0].body
    assert services.reply_token(ticket) in mail.outbox[0].body
    assert len(LocMemSMSBackend.outbox) == 1


def test_customer_without_sms_opt_in_gets_no_sms(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_agent(ticket=ticket, agent=agent, body="Hi")
    assert LocMemSMSBackend.outbox == []


def test_internal_note_tells_nobody(ticket, agent, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_agent(ticket=ticket, agent=agent, body="Customer is grumpy", internal=True)
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_customer_reply_reopens_waiting_ticket_and_tells_assignee(
    ticket, agent, customer, django_capture_on_commit_callbacks
):
    services.ticket_change_status(ticket=ticket, status=Status.WAITING, actor=agent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.ticket_reply_customer(ticket=ticket, customer=customer, body="Here is the photo")
    assert not result.follow_up
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert [m.to for m in mail.outbox] == [[agent.email]]


def test_customer_reply_reopens_recently_resolved_ticket(ticket, customer, agent):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    result = services.ticket_reply_customer(ticket=ticket, customer=customer, body="Still broken")
    ticket.refresh_from_db()
    assert result.ticket == ticket
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None
    assert ticket.events.filter(kind="reopened").count() == 1


def test_late_reply_to_resolved_ticket_opens_a_linked_ticket(ticket, customer, agent, settings):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - timedelta(days=settings.TICKET_REOPEN_DAYS + 1)
    )
    result = services.ticket_reply_customer(ticket=ticket, customer=customer, body="It broke again")
    ticket.refresh_from_db()
    assert result.follow_up
    assert result.ticket.follow_up_of == ticket
    assert result.ticket.subject == "Follow-up: Where is my parcel?"
    assert ticket.status == Status.RESOLVED
    assert ticket.messages.count() == 1


def test_a_stranger_cannot_reply(ticket):
    with pytest.raises(TicketError):
        services.ticket_reply_customer(ticket=ticket, customer=CustomerFactory(), body="hi")
    assert ticket.messages.count() == 1


def test_autoclose_closes_old_resolved_tickets_only(ticket, agent, settings):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    assert services.tickets_autoclose_resolved() == 0
    later = timezone.now() + timedelta(days=settings.TICKET_AUTOCLOSE_DAYS, minutes=1)
    assert services.tickets_autoclose_resolved(now=later) == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert services.tickets_autoclose_resolved(now=later) == 0


# --- merge, rating, canned responses ------------------------------------------------


def test_merge_moves_messages_and_closes_the_duplicate(ticket, queue, customer, agent):
    duplicate = services.ticket_create(requester=customer, queue=queue, subject="Parcel??", description="Again")
    services.ticket_merge(source=duplicate, target=ticket, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.merged_into == ticket
    assert duplicate.messages.count() == 0
    assert list(ticket.messages.values_list("body", flat=True))[:2] == ["It has been a week.", "Again"]


def test_merge_refuses_other_customers_and_itself(ticket, queue, agent):
    other = services.ticket_create(requester=CustomerFactory(), queue=queue, subject="x", description="y")
    with pytest.raises(TicketError, match="same customer"):
        services.ticket_merge(source=other, target=ticket, actor=agent)
    with pytest.raises(TicketError, match="itself"):
        services.ticket_merge(source=ticket, target=ticket, actor=agent)
    assert other.messages.count() == 1


def test_rating_works_once_and_only_after_resolution(ticket, agent):
    with pytest.raises(TicketError, match="once it is resolved"):
        services.ticket_rate(ticket=ticket, score=5)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    for bad in (0, 6, "5"):
        with pytest.raises(TicketError, match="1 to 5"):
            services.ticket_rate(ticket=ticket, score=bad)
    services.ticket_rate(ticket=ticket, score=4, comment="Quick!")
    with pytest.raises(TicketError, match="rated already"):
        services.ticket_rate(ticket=ticket, score=1)
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (4, "Quick!")


def test_canned_response_placeholders(ticket):
    text = services.canned_response_render(body="Hi {customer_name}, about {ticket_reference} {unknown}", ticket=ticket)
    assert text == f"Hi {ticket.requester.get_short_name()}, about {ticket.reference} {{unknown}}"


def test_internal_notes_cannot_be_written_as_customer(ticket, customer):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(ticket=ticket, author=customer, author_kind="customer", body="x", is_internal=True)


def test_tokens_round_trip_and_reject_tampering(ticket):
    token = services.reply_token(ticket)
    assert services.ticket_id_from_reply_token(token) == ticket.pk
    assert services.ticket_id_from_reply_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    csat = services.csat_token(ticket)
    assert services.ticket_id_from_csat_token(csat) == ticket.pk
    assert services.ticket_id_from_csat_token(f"{ticket.pk + 1}:{csat.split(':', 1)[1]}") is None


def test_events_are_written_for_every_change(ticket, agent):
    services.ticket_change_priority(ticket=ticket, priority=Priority.HIGH, actor=agent)
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="hi")
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "assignee", "priority", "reply", "status"]
