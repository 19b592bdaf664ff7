"""Suggested answers on the desk's reply form: help-centre articles and canned answers.

tickets sits below chatbot and never imports it. Article retrieval is a *provider* that a higher
app registers here (chatbot's ``AppConfig.ready()`` registers its search engine); with none
registered, the desk suggests no articles and still ranks the queue's canned answers by the words
they share with the ticket (``canned_ranked``, plain Python).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db.models import Q

from .models import CannedResponse, Message, Ticket

SUGGESTION_LIMIT = 3
QUERY_CHARS = 1000
WORD_RE = re.compile(r"[^\W\d_]{3,}")
# Words too common in support mail to say what a ticket is about.
STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "with",
        "have",
        "has",
        "this",
        "that",
        "are",
        "was",
        "were",
        "but",
        "not",
        "can",
        "from",
        "our",
        "please",
        "thanks",
        "thank",
        "hello",
        "dear",
        "would",
        "could",
        "will",
        "what",
        "when",
        "where",
        "which",
        "there",
        "their",
        "them",
        "they",
        "about",
        "just",
    ]
)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "article" or "canned"
    title: str
    text: str  # what one click inserts into the reply box (plain text)
    url: str = ""  # the article's page, for the agent to check before inserting
    score: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


ArticleProvider = Callable[..., list[Suggestion]]
_article_providers: list[ArticleProvider] = []


def register_article_provider(provider: ArticleProvider) -> None:
    """Register ``provider(text, *, limit) -> list[Suggestion]``; registering it again is a no-op."""
    if provider not in _article_providers:
        _article_providers.append(provider)


def unregister_article_provider(provider: ArticleProvider) -> None:
    if provider in _article_providers:
        _article_providers.remove(provider)


def article_providers() -> tuple[ArticleProvider, ...]:
    return tuple(_article_providers)


def ticket_query_text(ticket: Ticket) -> str:
    """What the ticket is about: its subject and the customer's latest public message (one query)."""
    latest = (
        ticket.messages.filter(is_internal=False, author_kind=Message.AuthorKind.CUSTOMER)
        .order_by("-created_at", "-pk")
        .values_list("body", flat=True)
        .first()
    )
    return f"{ticket.subject}\n{latest or ticket.description}"[:QUERY_CHARS]


def _words(text: str) -> set[str]:
    words = {w.lower() for w in WORD_RE.findall(text)} - STOP_WORDS
    # "lamps" and "lamp" are the same word here.
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}


def canned_ranked(*, ticket: Ticket, text: str, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """The active canned answers of the ticket's queue (or of all queues), placeholders filled,
    best first by the share of the ticket's words each one's title and body contain; ties by
    title. An answer sharing no word is still listed after the others (an agent may want it)."""
    from .services import canned_response_render

    wanted = _words(text)
    canned = CannedResponse.objects.filter(is_active=True).filter(Q(queue__isnull=True) | Q(queue=ticket.queue_id))
    scored = []
    for response in canned.only("title", "body"):
        shared = wanted & _words(f"{response.title} {response.body}")
        score = len(shared) / len(wanted) if wanted else 0.0
        scored.append((-score, response.title.lower(), response))
    scored.sort(key=lambda item: item[:2])
    return [
        Suggestion(
            kind="canned",
            title=response.title,
            text=canned_response_render(body=response.body, ticket=ticket),
            score=round(-negative, 3),
        )
        for negative, _, response in scored[:limit]
    ]


def suggestions_for_ticket(*, ticket: Ticket, limit: int = SUGGESTION_LIMIT) -> dict[str, list[Suggestion]]:
    """Articles from the registered providers (best first, one per title) and ranked canned
    answers for a ticket the caller already fetched through ``ticket_scope_for_agent``."""
    text = ticket_query_text(ticket)
    articles: list[Suggestion] = []
    for provider in article_providers():
        articles.extend(provider(text, limit=limit))
    articles.sort(key=lambda s: -s.score)
    seen: set[str] = set()
    unique = [s for s in articles if not (s.url in seen or seen.add(s.url))]
    return {"articles": unique[:limit], "canned": canned_ranked(ticket=ticket, text=text, limit=limit)}
