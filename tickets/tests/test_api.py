"""Ticket API: scoping, protected fields, errors with detail, query budget."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from tickets import services
from tickets.models import Message, Status, Ticket

from .factories import QueueFactory

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_customer_creates_a_ticket_and_cannot_set_protected_fields(customer, queue, agent):
    response = _api(customer).post(
        "/api/v1/tickets/",
        {
            "queue": queue.pk,
            "subject": "Help",
            "description": "Please",
            "status": "resolved",
            "priority": "urgent",
            "assignee": agent.pk,
            "requester": CustomerFactory().pk,
        },
        format="json",
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.status, ticket.priority, ticket.channel) == (customer, Status.NEW, "normal", "api")
    assert response.json()["reference"] == ticket.reference


def test_create_with_bad_input_is_400_with_detail(customer, queue):
    response = _api(customer).post("/api/v1/tickets/", {"queue": 9999, "subject": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert {"queue", "subject", "description"} <= set(body["errors"])
    assert Ticket.objects.count() == 0


def test_customers_list_only_their_own_and_get_404_for_others(ticket, customer, queue):
    other = CustomerFactory()
    theirs = services.ticket_create(requester=other, queue=queue, subject="theirs", description="x")
    api = _api(customer)
    listed = api.get("/api/v1/tickets/").json()["results"]
    assert [t["id"] for t in listed] == [ticket.pk]
    for url in (
        f"/api/v1/tickets/{theirs.pk}/",
        f"/api/v1/tickets/{theirs.pk}/messages/",
        f"/api/v1/tickets/{theirs.pk}/attachments/",
    ):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json()["detail"]
    assert api.post(f"/api/v1/tickets/{theirs.pk}/messages/", {"body": "hi"}, format="json").status_code == 404
    assert theirs.messages.count() == 1


@pytest.mark.parametrize("bad_id", ["0", "abc", "-1", "1.5"])
def test_odd_ids_are_404(customer, bad_id):
    assert _api(customer).get(f"/api/v1/tickets/{bad_id}/").status_code == 404


def test_customer_internal_note_request_is_refused(ticket, customer):
    response = _api(customer).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "x", "internal": True}, format="json"
    )
    assert response.status_code == 403
    assert "internal" in response.json()["detail"]
    assert ticket.messages.count() == 1


def test_customer_sees_no_internal_notes(ticket, customer, agent):
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="secret", internal=True)
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="public")
    bodies = [m["body"] for m in _api(customer).get(f"/api/v1/tickets/{ticket.pk}/messages/").json()["results"]]
    assert bodies == ["It has been a week.", "public"]
    agent_bodies = [m["body"] for m in _api(agent).get(f"/api/v1/tickets/{ticket.pk}/messages/").json()["results"]]
    assert agent_bodies == ["It has been a week.", "secret", "public"]


def test_customer_may_close_but_not_resolve_via_api(ticket, customer):
    api = _api(customer)
    response = api.post(f"/api/v1/tickets/{ticket.pk}/status/", {"status": "resolved"}, format="json")
    assert response.status_code == 400
    assert "close" in response.json()["detail"]
    assert api.post(f"/api/v1/tickets/{ticket.pk}/status/", {"status": "closed"}, format="json").status_code == 200


def test_agent_works_only_their_queues(ticket, agent, other_queue):
    elsewhere = services.ticket_create(requester=CustomerFactory(), queue=other_queue, subject="x", description="y")
    api = _api(agent)
    assert [t["id"] for t in api.get("/api/v1/tickets/").json()["results"]] == [ticket.pk]
    assert api.get(f"/api/v1/tickets/{elsewhere.pk}/").status_code == 404
    response = api.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "note", "internal": True}, format="json")
    assert response.status_code == 201
    assert Message.objects.filter(ticket=ticket, is_internal=True).count() == 1


def test_ordering_by_related_secrets_is_ignored(ticket, customer):
    response = _api(customer).get("/api/v1/tickets/?ordering=requester__password")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [ticket.pk]


def test_xss_is_returned_as_data_not_markup(customer, queue):
    payload = "<script>alert(1)</script>"
    _api(customer).post(
        "/api/v1/tickets/", {"queue": queue.pk, "subject": payload, "description": payload}, format="json"
    )
    response = _api(customer).get("/api/v1/tickets/")
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"][0]["subject"] == payload


def test_ticket_list_query_count_is_flat(agent, sla, django_assert_max_num_queries):
    queue = QueueFactory(agents=[agent])
    for i in range(30):
        services.ticket_create(requester=CustomerFactory(), queue=queue, subject=f"T{i}", description="d")
    api = _api(agent)
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/tickets/")
    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 25


def test_anonymous_is_refused(queue):
    response = APIClient().get("/api/v1/tickets/")
    assert response.status_code in (401, 403)
