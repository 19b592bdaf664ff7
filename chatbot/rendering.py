"""Markdown to safe HTML (help pages, admin preview) and to plain text (chat replies).

Article bodies are written by agents but are still treated as untrusted data: Markdown passes raw
HTML through, so every rendering goes through nh3 (Rust ``ammonia``), a maintained allow-list
sanitiser. Scripts, event handlers, styles and ``javascript:``/``data:`` URLs never survive.
"""

from __future__ import annotations

import html

import markdown
import nh3

from .engine.text import LIST_ITEM_RE, first_paragraph
from .facts import render_facts

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _markdown(source: str) -> str:
    # The shop's facts ({{ delivery_fees }}…) are filled in first: chatbot/facts.py.
    return markdown.markdown(render_facts(source or ""), extensions=["tables", "sane_lists"], output_format="html")


def render_markdown(source: str) -> str:
    """Sanitised HTML for a Markdown source; safe to mark_safe."""
    return nh3.clean(
        _markdown(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def markdown_to_text(source: str) -> str:
    """The text a reader sees, with every tag (and script/style content) removed."""
    cleaned = nh3.clean(_markdown(source), tags=set(), attributes={}, strip_comments=True)
    return " ".join(html.unescape(cleaned).split())


def first_paragraph_text(source: str) -> str:
    """Plain text of a Markdown body's gist (a chat answer): its first paragraph, and the list that
    paragraph introduces, one "- item" or "1. item" per line (the chat shows line breaks); a body
    that opens with a list (the steps of a return) keeps its lines too."""
    lead, *rest = first_paragraph(render_facts(source or ""), text_of=markdown_to_text).split("\n\n") or [""]
    if LIST_ITEM_RE.match(lead):
        lead, rest = "", [lead, *rest]
    items: list[tuple[str, list[str]]] = []  # (marker, the item's lines)
    for line in "\n".join(rest).splitlines():
        if match := LIST_ITEM_RE.match(line):
            items.append(("-" if match.group(1) in "-*+" else match.group(1), [line[match.end() :]]))
        elif items and line.strip():  # an item's continuation line
            items[-1][1].append(line)
    lines = [markdown_to_text(lead)] + [f"{marker} {markdown_to_text(chr(10).join(text))}" for marker, text in items]
    return "\n".join(line for line in lines if line)
