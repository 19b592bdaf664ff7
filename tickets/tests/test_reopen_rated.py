"""Reopening a resolved ticket that was rated: by a web reply, by email, by an agent.

Reopening clears the ticket's current rating (it was of a resolution that no longer holds) and
keeps the rating in the ticket's history; the ticket can be rated again once resolved again.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import CustomerFactory
from tickets import services
from tickets.email_in import email_ingest
from tickets.models import InboundEmail, Status, Ticket, TicketEvent, TicketRating

from .test_email_in import fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(queue, agent):
    customer = CustomerFactory(email="ann@example.com", name="Ann Customer")
    ticket = services.ticket_create(requester=customer, queue=queue, subject="Where is my parcel?", description="?")
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="It is on its way.")
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    return services.ticket_rate(ticket=Ticket.objects.get(pk=ticket.pk), score=4, comment="Quick answer")


def _assert_reopened_with_rating_kept(ticket: Ticket) -> None:
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert (ticket.resolved_at, ticket.csat_score, ticket.csat_comment, ticket.csat_at) == (None, None, "", None)
    assert list(TicketRating.objects.filter(ticket=ticket).values_list("score", "comment")) == [(4, "Quick answer")]
    cleared = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CSAT).order_by("pk")
    assert [(e.old_value, e.new_value) for e in cleared] == [("", "4"), ("4", "")]


def test_a_customers_web_reply_reopens_a_rated_ticket(client, rated):
    client.force_login(rated.requester)
    response = client.post(reverse("tickets:detail", args=[rated.reference]), {"body": "It has not arrived."})
    assert response.status_code == 302
    _assert_reopened_with_rating_kept(rated)


def test_a_customers_email_reply_reopens_a_rated_ticket(rated, settings):
    settings.INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS = ["mx.stockdesk.local"]
    verified = b"Authentication-Results: mx.stockdesk.local; dmarc=pass header.from=example.com\r\n"
    inbound = email_ingest(raw=verified + fixture_bytes("reply_with_token.eml", rated))
    assert (inbound.outcome, inbound.ticket_id) == (InboundEmail.Outcome.THREADED, rated.pk)
    _assert_reopened_with_rating_kept(rated)


def test_an_agent_reopening_a_rated_ticket_clears_its_rating(client, rated, agent):
    client.force_login(agent)
    response = client.post(reverse("tickets:desk_status", args=[rated.pk]), {"status": Status.OPEN})
    assert response.status_code == 302
    _assert_reopened_with_rating_kept(rated)


def test_resolved_again_it_can_be_rated_again_and_both_ratings_are_kept(rated, agent):
    services.ticket_change_status(ticket=rated, status=Status.OPEN, actor=agent)
    services.ticket_change_status(ticket=Ticket.objects.get(pk=rated.pk), status=Status.RESOLVED, actor=agent)
    again = services.ticket_rate(ticket=Ticket.objects.get(pk=rated.pk), score=2, comment="Took too long")
    assert again.csat_score == 2
    assert list(TicketRating.objects.filter(ticket=rated).values_list("score", flat=True)) == [4, 2]
    with pytest.raises(services.TicketError, match="rated already"):
        services.ticket_rate(ticket=again, score=5)


def test_closing_a_rated_ticket_keeps_its_rating(rated, agent):
    services.ticket_change_status(ticket=rated, status=Status.CLOSED, actor=agent)
    rated.refresh_from_db()
    assert (rated.status, rated.csat_score) == (Status.CLOSED, 4)
