"""Collision detection: who else is on a ticket, and a reply that would talk over a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory
from tickets import presence, services
from tickets.models import Message, TicketPresence

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(queue):
    other = AgentFactory(name="Bea Colleague")
    queue.agents.add(other)
    return other


def test_heartbeat_lists_the_other_agents_typing_first_and_forgets_the_gone(ticket, agent, colleague, queue):
    third = AgentFactory(name="Al Third")
    queue.agents.add(third)
    now = timezone.now()
    presence.presence_heartbeat(ticket=ticket, agent=colleague, state="viewing", now=now)
    presence.presence_heartbeat(ticket=ticket, agent=third, state="viewing", now=now)
    presence.presence_heartbeat(ticket=ticket, agent=agent, state="viewing", now=now)
    # the same agent again is one row, its state updated
    presence.presence_heartbeat(ticket=ticket, agent=colleague, state="typing", now=now)
    assert TicketPresence.objects.filter(ticket=ticket).count() == 3

    others = presence.presence_list_for_ticket(ticket=ticket, viewer=agent, now=now)
    assert [(p.name, p.state) for p in others] == [("Bea Colleague", "typing"), ("Al Third", "viewing")]

    later = now + presence.PRESENCE_TTL + timedelta(seconds=1)
    assert presence.presence_list_for_ticket(ticket=ticket, viewer=agent, now=later) == []
    # the next heartbeat on the ticket drops the expired rows
    presence.presence_heartbeat(ticket=ticket, agent=agent, state="viewing", now=later)
    assert list(TicketPresence.objects.values_list("agent", flat=True)) == [agent.pk]


def test_an_agents_next_heartbeat_anywhere_drops_their_expired_rows(ticket, agent, queue, customer):
    other = services.ticket_create(requester=customer, queue=queue, subject="Other", description="x")
    now = timezone.now()
    presence.presence_heartbeat(ticket=ticket, agent=agent, state="viewing", now=now)
    # the tab was closed without saying so; later the agent opens another ticket
    presence.presence_heartbeat(ticket=other, agent=agent, state="viewing", now=now + timedelta(minutes=5))
    assert list(TicketPresence.objects.values_list("ticket", flat=True)) == [other.pk]


def test_bad_state_is_refused_and_records_nothing(client, ticket, agent):
    client.force_login(agent)
    response = client.post(reverse("tickets:desk_presence", args=[ticket.pk]), {"state": "dancing"})
    assert response.status_code == 400
    assert "state must be one of" in response.json()["detail"]
    assert not TicketPresence.objects.exists()


def test_presence_endpoint_shows_others_and_newer_messages(client, ticket, agent, colleague, customer):
    url = reverse("tickets:desk_presence", args=[ticket.pk])
    client.force_login(colleague)
    assert client.post(url, {"state": "typing"}).status_code == 200
    seen = presence.last_message_id(ticket)
    reply = services.ticket_reply_agent(ticket=ticket, agent=colleague, body="On its way.")

    client.force_login(agent)
    data = client.post(url, {"state": "viewing", "last_seen": str(seen)}).json()
    assert data["others"] == [
        {
            "agent": colleague.pk,
            "name": "Bea Colleague",
            "state": "typing",
            "seen_at": TicketPresence.objects.get(agent=colleague).seen_at.isoformat(),
        }
    ]
    newest = Message.objects.filter(ticket=ticket).latest("pk")
    assert reply is not None
    assert [m["id"] for m in data["newer_messages"]] == [newest.pk]
    assert data["newer_messages"][0]["author"] == "Bea Colleague"

    # leaving removes the agent at once
    client.force_login(colleague)
    client.post(url, {"state": "gone"})
    client.force_login(agent)
    assert client.get(url).json()["others"] == []


def test_presence_of_a_ticket_outside_my_queues_is_404(client, ticket, other_queue):
    outsider = other_queue.agents.get()
    client.force_login(outsider)
    url = reverse("tickets:desk_presence", args=[ticket.pk])
    assert client.post(url, {"state": "viewing"}).status_code == 404
    assert client.get(url).status_code == 404
    assert not TicketPresence.objects.exists()


def test_customers_cannot_send_heartbeats(client, ticket, customer):
    client.force_login(customer)
    assert client.post(reverse("tickets:desk_presence", args=[ticket.pk]), {"state": "viewing"}).status_code == 403


def test_ticket_page_shows_who_else_is_viewing(client, ticket, agent, colleague):
    client.force_login(colleague)
    client.get(reverse("tickets:desk_ticket", args=[ticket.pk]))
    client.force_login(agent)
    page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()
    assert "Bea Colleague is viewing" in page


def _reply(client, ticket, body, last_seen, **extra):
    return client.post(
        reverse("tickets:desk_reply", args=[ticket.pk]), {"body": body, "last_seen": str(last_seen), **extra}
    )


def test_reply_after_someone_elses_newer_reply_asks_first_then_sends(client, ticket, agent, colleague):
    # Given the agent's page showed the ticket up to its first message
    seen = presence.last_message_id(ticket)
    # and a colleague answered meanwhile
    services.ticket_reply_agent(ticket=ticket, agent=colleague, body="Sent by courier today.")
    client.force_login(agent)
    before = Message.objects.count()

    # When the agent sends their reply, it is not sent: the page asks, with the draft kept
    response = _reply(client, ticket, "Let me check that for you.", seen, set_status="waiting")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not sent yet: 1 new message since you opened this ticket" in page
    assert "Sent by courier today." in page
    assert "Let me check that for you.</textarea>" in page
    assert Message.objects.count() == before
    newest = presence.last_message_id(ticket)
    assert f'name="last_seen" value="{newest}"' in page
    assert '<option value="waiting" selected>' in page

    # Then sending again from that page (which has seen the newest message) sends it
    response = _reply(client, ticket, "Let me check that for you.", newest)
    assert response.status_code == 302
    assert Message.objects.count() == before + 1


def test_own_replies_internal_notes_and_old_forms_do_not_ask(client, ticket, agent, colleague):
    seen = presence.last_message_id(ticket)
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="Mine.")
    services.ticket_reply_agent(ticket=ticket, agent=colleague, body="A note.", internal=True)
    client.force_login(agent)
    assert _reply(client, ticket, "Another one.", seen).status_code == 302
    services.ticket_reply_agent(ticket=ticket, agent=colleague, body="Public.")
    # an internal note never talks over the customer
    assert _reply(client, ticket, "For the team.", seen, internal="on").status_code == 302
    # a form without the field (sent before this feature) is not blocked
    response = client.post(reverse("tickets:desk_reply", args=[ticket.pk]), {"body": "Old form."})
    assert response.status_code == 302
    assert Message.objects.filter(body__in=["Another one.", "For the team.", "Old form."]).count() == 3


def test_a_customer_message_since_the_page_loaded_also_asks(client, ticket, agent, customer):
    seen = presence.last_message_id(ticket)
    services.ticket_reply_customer(ticket=ticket, customer=customer, body="Actually, it arrived.")
    client.force_login(agent)
    response = _reply(client, ticket, "We will refund you.", seen)
    assert response.status_code == 409
    assert "Actually, it arrived." in response.content.decode()


def test_collision_check_on_another_queues_ticket_is_404(client, ticket, other_queue):
    client.force_login(other_queue.agents.get())
    assert _reply(client, ticket, "Hi", 0).status_code == 404
