"""The chat's article search plugged into the desk's suggested answers (registered in ready())."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from chatbot.desk_suggestions import article_suggestions
from chatbot.models import Article
from tickets import services, suggestions
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db


def test_chatbot_registers_its_search_as_the_desks_article_provider():
    assert article_suggestions in suggestions.article_providers()


def test_desk_suggests_the_closest_published_articles(client, help_centre, agent, customer):
    sla_policies()
    queue = QueueFactory(agents=[agent])
    ticket = services.ticket_create(
        requester=customer,
        queue=queue,
        subject="Cancel my order",
        description="I ordered the wrong lamp yesterday, can I cancel the order before it ships?",
    )
    client.force_login(agent)
    data = client.get(reverse("tickets:desk_suggestions", args=[ticket.pk])).json()
    slugs = [a["url"].rstrip("/").rsplit("/", 1)[-1] for a in data["articles"]]
    assert slugs[0] == "cancel-an-order"
    first = data["articles"][0]
    article = Article.objects.get(slug="cancel-an-order")
    assert first["title"] == article.title
    assert first["text"].endswith(f"“{article.title}”, {settings.SITE_URL}{article.get_absolute_url()}")
    assert first["kind"] == "article"

    # an unpublished article is never offered, even when it is the best match
    Article.objects.filter(slug="cancel-an-order").update(is_published=False)
    again = client.get(reverse("tickets:desk_suggestions", args=[ticket.pk])).json()
    assert "cancel-an-order" not in [a["url"].rstrip("/").rsplit("/", 1)[-1] for a in again["articles"]]
