"""Demo help centre: the guidelines in chatbot/content become Article rows (idempotent)."""

from __future__ import annotations

from django.db import transaction

from .engine import load_articles
from .models import Article
from .services import articles_changed_on_commit


@transaction.atomic
def seed_articles(report=None) -> int:
    """Create the articles that are missing (by slug); existing ones, maybe edited by agents, stay."""
    existing = set(Article.objects.values_list("slug", flat=True))
    new = [
        Article(
            slug=a.slug,
            title=a.title,
            body=a.body,
            category=a.category,
            tags=", ".join(a.tags),
            example_questions="\n".join(a.example_questions),
            is_published=a.published,
        )
        for a in load_articles()
        if a.slug not in existing
    ]
    Article.objects.bulk_create(new)
    if new:
        articles_changed_on_commit()
    if report is not None:
        report.count("help articles", len(new))
    return len(new)
