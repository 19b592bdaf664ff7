"""Chat API: own conversations only, clear errors, throttling that stores nothing, query budgets."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from chatbot.models import ChatMessage, Conversation
from tickets.models import Queue, Ticket

from .test_views import HOSTILE

pytestmark = pytest.mark.usefixtures("help_centre")

LIST = reverse("api:chat-conversations")


def messages_url(pk):
    return reverse("api:chat-messages", args=[pk])


def detail_url(pk):
    return reverse("api:chat-conversation", args=[pk])


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def general_queue(db):
    return Queue.objects.create(slug="general", name="General")


def start(api):
    response = api.post(LIST)
    assert response.status_code == 201
    return response.json()


def test_anonymous_visitor_chats_through_the_session(api):
    conversation = start(api)

    response = api.post(messages_url(conversation["id"]), {"text": "how much is shipping?"}, format="json")

    assert response.status_code == 201
    body = response.json()
    senders = [m["sender"] for m in body["messages"]]
    assert senders == ["bot", "customer", "bot"]
    answer = body["messages"][-1]
    assert answer["links"][0] == {
        "kind": "article",
        "title": "Shipping costs and free delivery",
        "url": "/help/shipping-costs/",
    }
    assert answer["rateable"] is True
    assert Conversation.objects.get().user is None


def test_another_visitors_or_customers_conversation_is_404(api, customer):
    theirs = start(api)
    stranger = APIClient()
    start(stranger)
    signed_in = APIClient()
    signed_in.force_authenticate(customer)

    for client in (stranger, signed_in):
        assert client.get(detail_url(theirs["id"])).status_code == 404
        response = client.post(messages_url(theirs["id"]), {"text": "hi"}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such conversation.", "code": "not_found"}
    assert ChatMessage.objects.filter(conversation_id=theirs["id"]).count() == 1  # the greeting only


@pytest.mark.parametrize("pk", ["999999", "abc", "-1"])
def test_unknown_conversation_id_is_404(api, pk):
    start(api)

    response = api.post(messages_url(pk), {"text": "hello"}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "No such conversation."


@pytest.mark.parametrize(
    ("payload", "detail", "code"),
    [
        ({"text": ""}, "Write a message first.", "blank"),
        ({"text": "   "}, "Write a message first.", "blank"),
        ({"text": "x" * 1001}, "Messages are at most 1000 characters.", "max_length"),
        ({}, "This field is required.", "required"),
    ],
)
def test_bad_message_is_400_and_stores_nothing(api, payload, detail, code):
    conversation = start(api)

    response = api.post(messages_url(conversation["id"]), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": code}
    assert ChatMessage.objects.count() == 1


def test_rate_limit_answers_429_and_stores_nothing(api, settings):
    settings.CHATBOT_RATE_SESSION = "3/min"
    conversation = start(api)  # counts as one request
    url = messages_url(conversation["id"])
    api.post(url, {"text": "hello"}, format="json")
    api.post(url, {"text": "hello again"}, format="json")
    stored = ChatMessage.objects.count()

    refused = api.post(url, {"text": "this one is refused"}, format="json")

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("You are sending messages too quickly. Please wait ")
    assert "Retry-After" in refused.headers
    assert ChatMessage.objects.count() == stored
    assert not ChatMessage.objects.filter(text="this one is refused").exists()


def test_rate_limit_per_ip_covers_new_sessions(settings):
    settings.CHATBOT_RATE_IP = "2/min"
    start(APIClient())
    start(APIClient())

    refused = APIClient().post(LIST)

    assert refused.status_code == 429
    assert Conversation.objects.count() == 2


def test_logged_in_customer_gets_their_order_status(api, customer, store):
    from inventory.tests.factories import ProductFactory, place_order, with_stock

    order = place_order(customer, (with_stock(ProductFactory(store=store), 5), 1))
    api.force_login(customer)
    conversation = start(api)

    response = api.post(messages_url(conversation["id"]), {"text": "where is my order?"}, format="json")

    assert response.json()["messages"][-1]["text"].startswith(f"Order {order.number}")


def test_visitor_conversation_is_claimed_after_login(api, customer):
    conversation = start(api)
    api.post(messages_url(conversation["id"]), {"text": "where is my order?"}, format="json")
    api.force_login(customer)  # the session data (and the visitor token) survive the login

    response = api.get(detail_url(conversation["id"]))

    assert response.status_code == 200
    assert Conversation.objects.get().user == customer
    assert [c["id"] for c in api.get(LIST).json()["results"]] == [conversation["id"]]


def test_hand_over_by_api_twice_opens_one_ticket(api, customer, general_queue):
    api.force_login(customer)
    conversation = start(api)
    api.post(messages_url(conversation["id"]), {"text": "my parcel is late"}, format="json")
    url = reverse("api:chat-handover", args=[conversation["id"]])

    first = api.post(url)
    second = api.post(url)

    assert first.status_code == second.status_code == 200
    ticket = Ticket.objects.get()
    assert first.json()["ticket_reference"] == second.json()["ticket_reference"] == ticket.reference
    assert "Customer: my parcel is late" in ticket.description
    assert first.json()["status"] == "handed_over"


def test_anonymous_hand_over_by_api_asks_to_log_in(api, general_queue):
    conversation = start(api)

    response = api.post(reverse("api:chat-handover", args=[conversation["id"]]))

    assert response.status_code == 400
    assert response.json()["login_required"] is True
    assert Ticket.objects.count() == 0


def test_bot_text_from_a_hostile_article_is_plain_text(api):
    from chatbot.models import Article

    Article.objects.filter(slug="shipping-costs").update(body=HOSTILE)
    conversation = start(api)

    response = api.post(messages_url(conversation["id"]), {"text": "how much is shipping?"}, format="json")

    text = response.json()["messages"][-1]["text"]
    assert text.startswith("Hello world.")
    for bad in ("<script", "alert(", "javascript:", "<"):
        assert bad not in text


def test_an_answer_whose_first_paragraph_introduces_a_list_brings_the_list_as_plain_lines(api):
    from chatbot.models import Article

    Article.objects.filter(slug="shipping-costs").update(
        body=(
            "Delivery costs:\n\n"
            "- <script>alert(1)</script>**Standard**: €4.95, [free](javascript:alert(2)) from €50\n"
            "  (Mainland only.)\n"
            "- **Bulky items**: €39\n\n"
            "Islands cost more."
        )
    )
    conversation = start(api)

    response = api.post(messages_url(conversation["id"]), {"text": "how much is shipping?"}, format="json")

    text = response.json()["messages"][-1]["text"]
    assert text.startswith("Delivery costs:\n- Standard: €4.95, free from €50 (Mainland only.)\n- Bulky items: €39\n\n")
    assert "Islands" not in text
    for bad in ("<script", "alert(", "javascript:", "<"):
        assert bad not in text


def test_feedback_on_own_reply_only_and_post_only(api):
    conversation = start(api)
    body = api.post(messages_url(conversation["id"]), {"text": "how much is shipping?"}, format="json").json()
    answer_id = body["messages"][-1]["id"][1:]
    url = reverse("api:chat-feedback", args=[answer_id])

    assert api.get(url).status_code == 405
    assert api.post(url, {"value": "meh"}, format="json").json() == {
        "detail": "Feedback is “up” or “down”.",
        "code": "invalid_choice",
    }
    assert APIClient().post(url, {"value": "down"}, format="json").status_code == 404
    assert ChatMessage.objects.get(pk=answer_id).feedback == ""

    response = api.post(url, {"value": "up"}, format="json")

    assert response.json() == {"id": f"m{answer_id}", "feedback": "up"}
    assert ChatMessage.objects.get(pk=answer_id).feedback == "up"


def test_conversation_read_has_a_query_budget(api, customer, agent, general_queue, django_assert_max_num_queries):
    from tickets.services import ticket_reply_agent

    general_queue.agents.add(agent)
    api.force_login(customer)
    conversation = start(api)
    url = messages_url(conversation["id"])
    for text in ["hello", "how much is shipping?", "can I return something?", "talk to a person"]:
        api.post(url, {"text": text}, format="json")
    ticket = Ticket.objects.get()
    for n in range(5):
        ticket_reply_agent(ticket=ticket, agent=agent, body=f"reply {n}")

    # session + user, conversation lookup, conversation + ticket, messages, agent replies
    with django_assert_max_num_queries(6):
        response = api.get(detail_url(conversation["id"]))

    assert len([m for m in response.json()["messages"] if m["sender"] == "agent"]) == 5


def test_conversation_list_has_a_query_budget(api, customer, django_assert_max_num_queries):
    api.force_login(customer)
    for _ in range(5):
        start(api)
    CustomerFactory()

    with django_assert_max_num_queries(4):
        response = api.get(LIST)

    assert response.json()["count"] == 5


def test_chat_endpoints_are_in_the_openapi_schema(api, customer):
    api.force_login(customer)

    schema = api.get(reverse("schema"), {"format": "json"}).json()

    for path in [
        "/api/v1/chat/conversations/",
        "/api/v1/chat/conversations/{id}/",
        "/api/v1/chat/conversations/{id}/messages/",
        "/api/v1/chat/conversations/{id}/handover/",
        "/api/v1/chat/messages/{id}/feedback/",
    ]:
        assert path in schema["paths"]


def test_anonymous_post_without_csrf_token_is_refused(general_queue):
    browser = APIClient(enforce_csrf_checks=True)

    response = browser.post(LIST)

    assert response.status_code == 403
    assert Conversation.objects.count() == 0
