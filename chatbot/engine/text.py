"""Small text helpers shared by retrieval and intent detection."""

from __future__ import annotations

import re

_MARKDOWN_RE = re.compile(r"[*_`#>]|\[([^\]]*)\]\([^)]*\)")
_SPACES_RE = re.compile(r"\s+")


def plain(markdown: str) -> str:
    """Markdown to plain words for matching (not for display)."""
    return _SPACES_RE.sub(" ", _MARKDOWN_RE.sub(lambda m: m.group(1) or " ", markdown)).strip()


def body_passages(markdown: str) -> list[str]:
    """Paragraphs and list items of an article body, each a passage that can answer a question."""
    passages: list[str] = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        current: list[str] = []
        for line in lines:
            if re.match(r"^([-*]|\d+\.)\s+", line) and current:
                passages.append(plain(" ".join(current)))
                current = []
            current.append(re.sub(r"^([-*]|\d+\.)\s+", "", line))
        if current:
            passages.append(plain(" ".join(current)))
    return [p for p in passages if p]


def first_paragraph(markdown: str) -> str:
    for block in re.split(r"\n\s*\n", markdown.strip()):
        if block.strip():
            return block.strip()
    return ""
