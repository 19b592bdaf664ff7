"""Demo help centre: the guidelines in chatbot/content become Article rows (idempotent)."""

from __future__ import annotations

import yaml
from django.db import transaction

from .engine import load_articles
from .engine.content import CONTENT_DIR
from .models import Article
from .services import articles_changed_on_commit

DEMO_QUESTIONS = CONTENT_DIR / "demo_questions.yaml"


def demo_questions() -> dict[str, list[str]]:
    """Extra example questions for the articles that ship without any (see the file's header)."""
    return {str(k): [str(q) for q in v] for k, v in (yaml.safe_load(DEMO_QUESTIONS.read_text("utf-8")) or {}).items()}


@transaction.atomic
def seed_articles(report=None) -> int:
    """Create the articles that are missing (by slug); existing ones, maybe edited by agents, stay."""
    existing = set(Article.objects.values_list("slug", flat=True))
    extra = demo_questions()
    new = [
        Article(
            slug=a.slug,
            title=a.title,
            body=a.body,
            category=a.category,
            tags=", ".join(a.tags),
            example_questions="\n".join([*a.example_questions, *extra.get(a.slug, [])]),
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
