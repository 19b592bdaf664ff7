"""Admin: agents edit articles with a sanitised preview; unanswered questions become articles."""

import re

import pytest
from django.urls import reverse

from chatbot import runtime, services
from chatbot.models import Article, ChatMessage
from chatbot.tests.factories import ArticleFactory, ConversationFactory

from .test_views import HOSTILE


def test_agent_can_edit_articles_and_sees_a_sanitised_preview(client, agent):
    article = ArticleFactory(body=HOSTILE)
    client.force_login(agent)

    html = client.get(reverse("admin:chatbot_article_change", args=[article.pk])).content.decode()

    frame = re.search(r'<iframe class="chat-article-preview"[^>]*>', html).group(0)
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert 'sandbox=""' in frame
    assert "Hello" in srcdoc
    assert "&lt;script" not in srcdoc
    assert "javascript:" not in srcdoc
    assert "onclick" not in srcdoc


def test_live_preview_is_post_only_and_sanitised(client, agent, customer):
    url = reverse("admin:chatbot_article_preview")
    client.force_login(agent)

    html = client.post(url, {"body": HOSTILE}).content.decode()
    get = client.get(url)
    client.force_login(customer)
    stranger = client.post(url, {"body": "x"})

    assert "<script" not in html
    assert "javascript:" not in html
    assert '<a href="https://example.com/ok" rel="noopener noreferrer nofollow">fine</a>' in html
    assert get.status_code == 405
    assert stranger.status_code == 302  # to the admin login: customers are not staff


def test_saving_an_article_rebuilds_the_index_on_commit(client, agent, help_centre, django_capture_on_commit_callbacks):
    client.force_login(agent)
    data = {
        "title": "Gift wrapping",
        "slug": "gift-wrapping",
        "category": "Orders",
        "tags": "gift",
        "is_published": "on",
        "body": "We wrap any order as a gift for €3.50: tick *gift wrap* at checkout.",
        "example_questions": "Can you gift wrap my order?\nDo you offer gift wrapping?",
    }
    assert help_centre.search("do you offer gift wrapping", k=1)[0].slug != "gift-wrapping"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("admin:chatbot_article_add"), data)

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert runtime.wait_for_rebuild()  # off the request path, in the background thread
    assert runtime.get_engine().search("do you offer gift wrapping", k=1)[0].slug == "gift-wrapping"


def test_a_failed_save_changes_nothing(client, agent):
    client.force_login(agent)

    response = client.post(reverse("admin:chatbot_article_add"), {"title": "", "slug": "", "category": "", "body": ""})

    assert response.status_code == 200
    assert Article.objects.count() == 0


@pytest.fixture
def open_questions(db):
    conversation = ConversationFactory()
    texts = [
        "do you sell gift cards",
        "do you sell gift cards?",
        "can I buy a gift card",
        "what is the meaning of life",
    ]
    return [
        ChatMessage.objects.create(conversation=conversation, sender="customer", text=t, needs_review=True)
        for t in texts
    ]


def test_unanswered_questions_are_grouped_by_similarity(client, agent, open_questions, django_assert_max_num_queries):
    client.force_login(agent)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("admin:chatbot_unansweredquestion_changelist"))

    groups = sorted(sorted(q.text for q in group) for group in response.context["groups"])
    assert groups == [
        ["can I buy a gift card", "do you sell gift cards", "do you sell gift cards?"],
        ["what is the meaning of life"],
    ]


def test_create_article_from_a_group_in_one_click(client, agent, open_questions):
    client.force_login(agent)
    ids = [q.pk for q in open_questions[:3]]

    response = client.post(reverse("admin:chatbot_unansweredquestion_changelist"), {"ids": ids, "action": "create"})

    article = Article.objects.get()
    assert response.url == reverse("admin:chatbot_article_change", args=[article.pk])
    assert article.is_published is False
    assert article.question_list == ["do you sell gift cards", "do you sell gift cards?", "can I buy a gift card"]
    assert list(ChatMessage.objects.filter(needs_review=True).values_list("text", flat=True)) == [
        "what is the meaning of life"
    ]


def test_customers_cannot_reach_the_review_page(client, customer, open_questions):
    client.force_login(customer)

    response = client.post(
        reverse("admin:chatbot_unansweredquestion_changelist"), {"ids": [open_questions[0].pk], "action": "create"}
    )

    assert response.status_code == 302
    assert Article.objects.count() == 0
    assert ChatMessage.objects.filter(needs_review=True).count() == 4


def test_dismissed_questions_leave_the_list(client, agent, open_questions):
    client.force_login(agent)

    client.post(
        reverse("admin:chatbot_unansweredquestion_changelist"), {"ids": [open_questions[3].pk], "action": "dismiss"}
    )

    assert ChatMessage.objects.filter(needs_review=True).count() == 3
    assert services.questions_dismiss(questions=[open_questions[3]]) == 0
