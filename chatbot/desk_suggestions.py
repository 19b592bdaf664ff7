"""The chatbot's article search as the desk's suggested-answers provider (tickets.suggestions).

Registered by ``ChatbotConfig.ready()``: tickets never imports chatbot, chatbot plugs into it.
"""

from __future__ import annotations

from django.conf import settings

from tickets.suggestions import Suggestion

from . import runtime
from .rendering import first_paragraph_text
from .selectors import articles_by_slug


def article_suggestions(text: str, *, limit: int) -> list[Suggestion]:
    """The published articles the chat engine finds closest to ``text``, best first; each one's
    insertable text is the article's gist (with the shop's facts filled in) and a link to it."""
    hits = [hit for hit in runtime.get_engine().search(text, k=limit) if hit.score > 0]
    articles = articles_by_slug(hit.slug for hit in hits)  # published only: drafts are never offered
    suggestions = []
    for hit in hits:
        article = articles.get(hit.slug)
        if article is None:
            continue
        url = settings.SITE_URL + article.get_absolute_url()
        gist = first_paragraph_text(article.body)
        suggestions.append(
            Suggestion(
                kind="article",
                title=article.title,
                text=f"{gist}\n\nMore in our help centre: “{article.title}”, {url}",
                url=article.get_absolute_url(),
                score=round(float(hit.score), 4),
            )
        )
    return suggestions
