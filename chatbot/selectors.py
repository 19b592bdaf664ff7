"""Reads for the help centre and the chat, scoped to who asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from django.db.models import Q, QuerySet
from django.http import Http404

from tickets.models import Message

from .models import Article, ChatMessage, Conversation


def article_list_published(*, query: str = "") -> list[Article]:
    qs = Article.objects.filter(is_published=True)
    query = " ".join((query or "").split())[:200]
    for word in query.split()[:8]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Q(tags__icontains=word)
            | Q(example_questions__icontains=word)
            | Q(category__icontains=word)
        )
    return list(qs.order_by("category", "title"))


def article_categories(articles: list[Article]) -> list[tuple[str, list[Article]]]:
    return [(cat, list(items)) for cat, items in groupby(articles, key=lambda a: a.category)]


def article_get_published(*, slug: str) -> Article:
    article = Article.objects.filter(is_published=True, slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    return article


def articles_by_slug(slugs) -> dict[str, Article]:
    return {a.slug: a for a in Article.objects.filter(slug__in=list(slugs), is_published=True)}


def conversation_list_for(*, user, visitor: str) -> QuerySet[Conversation]:
    """The asker's conversations: a signed-in user's own, or an anonymous visitor's session ones."""
    if user is not None and user.is_authenticated:
        return Conversation.objects.filter(user=user)
    if not visitor:
        return Conversation.objects.none()
    return Conversation.objects.filter(user__isnull=True, visitor=visitor)


def conversation_get_for(*, user, visitor: str, pk) -> Conversation:
    """One of the asker's conversations; anything else (another's, unknown, malformed) is a 404.

    A signed-in user also reaches the conversation they started anonymously in this session
    (the caller then claims it for them).
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    own = Q(pk=pk, user__isnull=True, visitor=visitor) if visitor else Q(pk__in=[])
    if user is not None and user.is_authenticated:
        own |= Q(pk=pk, user=user)
    conversation = Conversation.objects.filter(own).select_related("ticket").first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


@dataclass
class TranscriptEntry:
    id: str
    sender: str  # customer, bot, system, agent
    text: str
    created_at: datetime
    links: list = field(default_factory=list)
    feedback: str = ""
    rateable: bool = False
    author_name: str = ""


def conversation_transcript(conversation: Conversation) -> list[TranscriptEntry]:
    """Chat messages plus the agent's public replies on the hand-over ticket, in time order.

    Agent replies are read from the ticket (not copied), so what the agent wrote in the desk is
    what the customer sees in the chat panel; two queries whatever the length.
    """
    entries = [
        TranscriptEntry(
            id=f"m{m.pk}",
            sender=m.sender,
            text=m.text,
            created_at=m.created_at,
            links=m.links or [],
            feedback=m.feedback,
            # Answers can be rated; the greeting (no action) cannot.
            rateable=m.sender == ChatMessage.Sender.BOT and bool(m.action),
        )
        for m in conversation.messages.all()
    ]
    if conversation.ticket_id:
        replies = (
            Message.objects.filter(
                ticket_id=conversation.ticket_id, is_internal=False, author_kind=Message.AuthorKind.AGENT
            )
            .select_related("author")
            .order_by("created_at", "id")
        )
        entries += [
            TranscriptEntry(
                id=f"t{m.pk}",
                sender="agent",
                text=m.body,
                created_at=m.created_at,
                author_name=(m.author.get_short_name() if m.author else "Our team"),
            )
            for m in replies
        ]
    entries.sort(key=lambda e: (e.created_at, e.id[0] == "t", int(e.id[1:])))
    return entries
