"""Load help-centre articles from Markdown files with a small YAML front-matter block."""

from __future__ import annotations

from pathlib import Path

import yaml

from .types import Article

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


class ContentError(ValueError):
    pass


def parse_article(text: str, *, source: str = "<string>") -> Article:
    if not text.startswith("---\n"):
        raise ContentError(f"{source}: missing front-matter block")
    try:
        _, header, body = text.split("---\n", 2)
    except ValueError as exc:
        raise ContentError(f"{source}: unterminated front-matter block") from exc
    meta = yaml.safe_load(header) or {}
    missing = {"slug", "title", "category"} - meta.keys()
    if missing:
        raise ContentError(f"{source}: front matter lacks {', '.join(sorted(missing))}")
    return Article(
        slug=str(meta["slug"]),
        title=str(meta["title"]),
        body=body.strip(),
        category=str(meta["category"]),
        tags=tuple(str(t) for t in meta.get("tags") or ()),
        example_questions=tuple(str(q) for q in meta.get("example_questions") or ()),
        published=bool(meta.get("published", True)),
    )


def load_articles(directory: Path = CONTENT_DIR) -> list[Article]:
    """All articles in ``directory`` (one ``*.md`` each), sorted by slug; slugs must be unique."""
    articles = [parse_article(p.read_text(encoding="utf-8"), source=p.name) for p in sorted(directory.glob("*.md"))]
    slugs = [a.slug for a in articles]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    if duplicates:
        raise ContentError(f"duplicate article slugs: {', '.join(sorted(duplicates))}")
    return articles
