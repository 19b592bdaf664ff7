"""Small text helpers shared by retrieval and intent detection."""

from __future__ import annotations

import re
from collections.abc import Callable

_MARKDOWN_RE = re.compile(r"[*_`#>]|\[([^\]]*)\]\([^)]*\)")
_SPACES_RE = re.compile(r"\s+")


def plain(markdown: str) -> str:
    """Markdown to plain words for matching (not for display)."""
    return _SPACES_RE.sub(" ", _MARKDOWN_RE.sub(lambda m: m.group(1) or " ", markdown)).strip()


def body_passage_pairs(markdown: str) -> list[tuple[str, str]]:
    """Paragraphs and list items of an article body, each a passage that can answer a question:
    (plain text for matching, the Markdown it comes from, list marker removed, for quoting)."""
    passages: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        current: list[str] = []
        for line in lines:
            if re.match(r"^([-*]|\d+\.)\s+", line) and current:
                passages.append((plain(" ".join(current)), " ".join(current)))
                current = []
            current.append(re.sub(r"^([-*]|\d+\.)\s+", "", line))
        if current:
            passages.append((plain(" ".join(current)), " ".join(current)))
    return [(text, source) for text, source in passages if text]


def body_passages(markdown: str) -> list[str]:
    """Paragraphs and list items of an article body, as plain text (see ``body_passage_pairs``)."""
    return [text for text, _ in body_passage_pairs(markdown)]


_SENTENCE_END_RE = re.compile(r"(?<=[.!?:;])\s+")
MIN_SENTENCE_CHARS = 16


def sentences(passage: str) -> list[str]:
    """The sentences (and clauses after a colon or semicolon) of a passage, when it has several;
    fragments shorter than ``MIN_SENTENCE_CHARS`` are dropped."""
    parts = [p.strip() for p in _SENTENCE_END_RE.split(passage)]
    parts = [p for p in parts if len(p) >= MIN_SENTENCE_CHARS]
    return parts if len(parts) > 1 else []


LIST_ITEM_RE = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


def first_paragraph(markdown: str, *, text_of: Callable[[str], str] = plain) -> str:
    """The Markdown of an article's gist: its first paragraph with any text (``text_of`` a block
    says what a reader sees of it) and, when that paragraph introduces a list ("You can pay:"),
    the list too, since the sentence says nothing without it."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", markdown.strip()) if block.strip()]
    while blocks and not text_of(blocks[0]):  # an image, a comment, an empty HTML block
        blocks.pop(0)
    if not blocks:
        return ""
    gist = [blocks[0]]
    if text_of(blocks[0]).endswith(":"):
        for block in blocks[1:]:  # a list, loose ones (blank lines between items) included
            if not LIST_ITEM_RE.match(block):
                break
            gist.append(block)
    return "\n\n".join(gist)


def _words_of(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def with_best_passage(gist: str, passage: str) -> str:
    """An answer: the article's gist and, after it, the passage that matched the message best when
    the gist does not already say it ("what happens after two failed delivery attempts?" gets the
    paragraph about the depot after the first one). The gist stays first: a passage alone can be a
    caveat out of context ("cash on delivery orders cannot be left with a neighbour"). Both in the
    same form (Markdown or plain text); they are compared word by word."""
    passage = " ".join(passage.split())
    lead_in = re.sub(r"[*_`]", "", passage).rstrip().endswith(":")
    if not passage or lead_in or _words_of(passage) in _words_of(gist):
        return gist
    return f"{gist}\n\n{passage}" if gist else passage
