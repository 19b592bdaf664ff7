"""Desk API: presence heartbeats and the team leads' report, scoped like the desk."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tickets import presence, services
from tickets.models import TicketPresence

from .test_reports import END, START, _lead, fixed  # noqa: F401  (the fixed report data)

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_presence_heartbeat_and_newer_messages(ticket, agent, queue):
    colleague = queue.agents.create(email="bea@example.com", name="Bea", is_staff=True)
    colleague.groups.add(*agent.groups.all())
    seen = presence.last_message_id(ticket)
    url = f"/api/v1/tickets/{ticket.pk}/presence/"
    response = _api(colleague).post(url, {"state": "typing"}, format="json")
    assert response.status_code == 200
    services.ticket_reply_agent(ticket=ticket, agent=colleague, body="Done.")

    data = _api(agent).get(url, {"last_seen": seen}).json()
    assert [(o["name"], o["state"]) for o in data["others"]] == [("Bea", "typing")]
    assert [m["author"] for m in data["newer_messages"]] == ["Bea"]
    assert data["heartbeat_seconds"] == presence.HEARTBEAT_SECONDS
    assert _api(colleague).post(url, {"state": "gone"}, format="json").status_code == 200
    assert _api(agent).get(url).json()["others"] == []


def test_presence_bad_input_and_scoping(ticket, other_queue, customer, agent):
    url = f"/api/v1/tickets/{ticket.pk}/presence/"
    response = _api(agent).post(url, {"state": "dancing"}, format="json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert _api(agent).get(url, {"last_seen": "x"}).status_code == 400
    assert _api(other_queue.agents.get()).post(url, {"state": "viewing"}, format="json").status_code == 404
    assert _api(customer).get(url).status_code == 403
    assert not TicketPresence.objects.exists()


def test_report_endpoint_gives_the_hand_computed_figures(fixed, agent, queue):  # noqa: F811
    response = _api(_lead(agent)).get("/api/v1/desk/reports/", {"start": START, "end": END})
    assert response.status_code == 200
    data = response.json()
    assert (data["created"], data["resolved"], data["breached"], data["breach_rate"]) == (5, 3, 2, 0.4)
    assert data["first_reply"] == {"count": 4, "median_minutes": 45.0, "p90_minutes": pytest.approx(81.0)}
    assert [d["open"] for d in data["backlog"]] == [2, 2, 2, 1, 1]
    assert data["by_product"] == [{"name": "Lamp", "count": 2}, {"name": "Vase", "count": 1}]
    assert data["queue"] is None
    one = _api(agent).get("/api/v1/desk/reports/", {"start": START, "end": END, "queue": queue.pk}).json()
    assert (one["queue"], one["created"]) == (queue.pk, 5)


def test_report_endpoint_refuses_what_it_should(fixed, agent, other_queue):  # noqa: F811
    url = "/api/v1/desk/reports/"
    assert _api(agent).get(url).status_code == 403  # not a team lead
    lead = _api(_lead(agent))
    assert lead.get(url, {"queue": other_queue.pk}).status_code == 404
    response = lead.get(url, {"start": END, "end": START})
    assert response.status_code == 400
    assert response.json()["detail"] == "The start date must be on or before the end date."
    assert lead.get(url, {"start": "soon"}).status_code == 400


def test_api_reply_after_a_newer_public_message_is_refused_with_409(ticket, agent, customer):
    seen = presence.last_message_id(ticket)
    newer = services.ticket_reply_customer(ticket=ticket, customer=customer, body="Any news?").message
    url = f"/api/v1/tickets/{ticket.pk}/messages/"
    api = _api(agent)
    response = api.post(url, {"body": "On its way.", "last_seen": seen}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "reply_collision"
    assert response.json()["newer_message_ids"] == [newer.pk]
    assert not ticket.messages.filter(body="On its way.").exists()
    # an internal note, or a reply that has seen the newest message, goes through
    assert api.post(url, {"body": "Note.", "internal": True, "last_seen": seen}, format="json").status_code == 201
    assert api.post(url, {"body": "On its way.", "last_seen": newer.pk}, format="json").status_code == 201
