"""Suggested answers on the reply form: ranked canned answers, the provider hook, live stock."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.tests.factories import ProductFactory, place_order, with_stock
from tickets import services, suggestions
from tickets.models import CannedResponse
from tickets.suggestions import Suggestion

from .factories import QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_providers(monkeypatch):
    """The tickets app on its own: no higher app has registered a provider."""
    monkeypatch.setattr(suggestions, "_article_providers", [])


@pytest.fixture
def canned(queue, other_queue):
    CannedResponse.objects.create(title="Parcel delayed", body="Hi {customer_name}, your parcel is on its way.")
    CannedResponse.objects.create(title="Refund issued", body="We refunded your payment.", queue=queue)
    CannedResponse.objects.create(title="Assembly help", body="See the manual for assembly.")
    CannedResponse.objects.create(title="Inactive", body="parcel parcel", is_active=False)
    CannedResponse.objects.create(title="Returns only", body="Where is my parcel", queue=other_queue)


def test_canned_answers_are_ranked_by_the_words_they_share_with_the_ticket(ticket, canned, no_providers):
    # the ticket: "Where is my parcel?" / "It has been a week."
    found = suggestions.suggestions_for_ticket(ticket=ticket)
    assert found["articles"] == []
    titles = [s.title for s in found["canned"]]
    # the shared parcel answer first; other queues' and inactive answers never
    assert titles == ["Parcel delayed", "Assembly help", "Refund issued"]
    assert found["canned"][0].text == f"Hi {ticket.requester.get_short_name()}, your parcel is on its way."
    assert found["canned"][0].score > 0
    assert found["canned"][1].score == 0


def test_the_latest_customer_message_is_what_the_ticket_is_about(ticket, canned, customer, no_providers):
    services.ticket_reply_customer(ticket=ticket, customer=customer, body="Actually I want a refund of my payment.")
    best = suggestions.suggestions_for_ticket(ticket=ticket)["canned"][0]
    assert best.title == "Refund issued"


def test_registered_providers_give_the_articles_best_first_once_each(ticket, no_providers):
    seen = []

    def first(text, *, limit):
        seen.append((text, limit))
        return [Suggestion("article", "Delivery times", "3-5 days.", "/help/delivery/", 0.4)]

    def second(text, *, limit):
        return [
            Suggestion("article", "Delivery times", "3-5 days.", "/help/delivery/", 0.9),
            Suggestion("article", "Tracking", "No tracking.", "/help/tracking/", 0.5),
        ]

    suggestions.register_article_provider(first)
    suggestions.register_article_provider(first)  # once only
    suggestions.register_article_provider(second)
    found = suggestions.suggestions_for_ticket(ticket=ticket)
    assert [(s.title, s.score) for s in found["articles"]] == [("Delivery times", 0.9), ("Tracking", 0.5)]
    assert seen == [("Where is my parcel?\nIt has been a week.", 3)]
    suggestions.unregister_article_provider(first)
    assert suggestions.article_providers() == (second,)


def test_endpoint_gives_suggestions_and_the_linked_orders_live_stock(client, agent, queue, customer, store, canned,
                                                                     no_providers):  # fmt: skip
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp"), 7)
    order = place_order(customer, (lamp, 2))
    ticket = services.ticket_create(
        requester=customer, queue=queue, subject="Lamp parcel", description="Where is it?", order=order
    )
    client.force_login(agent)
    data = client.get(reverse("tickets:desk_suggestions", args=[ticket.pk])).json()
    assert data["articles"] == []
    assert data["canned"][0]["title"] == "Parcel delayed"
    assert data["order"] == {
        "number": order.number,
        "status": order.get_status_display(),
        "lines": [{"product": "Desk lamp", "quantity": 2, "status": "Pending", "on_hand": 5}],
    }


def test_endpoint_is_scoped_to_the_agents_queues(client, ticket, other_queue, customer, no_providers):
    client.force_login(other_queue.agents.get())
    assert client.get(reverse("tickets:desk_suggestions", args=[ticket.pk])).status_code == 404
    client.force_login(customer)
    assert client.get(reverse("tickets:desk_suggestions", args=[ticket.pk])).status_code == 403


def test_endpoint_query_count_does_not_grow_with_canned_answers(client, ticket, agent, no_providers,
                                                                django_assert_num_queries):  # fmt: skip
    client.force_login(agent)
    url = reverse("tickets:desk_suggestions", args=[ticket.pk])
    client.get(url)
    for n in (1, 20):
        CannedResponse.objects.bulk_create(CannedResponse(title=f"Answer {n}-{i}", body="Text") for i in range(n))
        # session, user, roles, the ticket, the latest customer message, the canned answers
        with django_assert_num_queries(6):
            client.get(url)


def test_ticket_page_has_the_suggestions_panel(client, ticket, agent):
    client.force_login(agent)
    page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()
    assert f'data-src="/desk/tickets/{ticket.pk}/suggestions/"' in page
    assert "js/desk_suggestions.js" in page


def test_the_tickets_app_never_imports_chatbot():
    import pathlib

    root = pathlib.Path(suggestions.__file__).parent
    offenders = [
        str(path)
        for path in root.rglob("*.py")
        if "tests" not in path.parts and ("import chatbot" in path.read_text() or "from chatbot" in path.read_text())
    ]
    assert offenders == []


__all__ = ["QueueFactory"]
