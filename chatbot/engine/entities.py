"""Entity extraction: order numbers, ticket references and fuzzy product names."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz

from .types import Entities, ProductMatch

# Ticket references are "TCK-00042"; customers also type "tck 42", "TCK00042" or "ticket 00318".
_TICKET_RE = re.compile(r"\b(?:tck[-\s#]?|ticket\s*(?:no\.?|number|nr|#)?\s*)(\d{1,6})\b", re.IGNORECASE)
# Order numbers: "SD-000123" (ours), "ORD-33120", "#20931", "order 10452", "order nr 80234", or a bare 5-8 digit number.
_ORDER_PREFIXED_RE = re.compile(r"\b(?:ord-?|sd-?|order\s*(?:no\.?|number|nr|#)?\s*#?)(\d{4,8})\b", re.IGNORECASE)
_ORDER_HASH_RE = re.compile(r"#(\d{4,8})\b")
_BARE_NUMBER_RE = re.compile(r"(?<![\w.,-])(\d{5,8})(?![\w.,])")

_WORD_RE = re.compile(r"[a-z]+")
# Words that say nothing about which product is meant.
_PRODUCT_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "set",
        "of",
        "in",
        "on",
        "to",
        "a",
        "an",
        "by",
        "per",
        "cm",
        "mm",
        "kg",
        "l",
        "m",
        "v",
        "bar",
        "do",
        "you",
        "have",
        "any",
        "is",
        "are",
        "it",
        "its",
        "this",
        "that",
        "what",
        "how",
        "much",
        "price",
        "cost",
        "stock",
    ]
)
_MIN_PRODUCT_SCORE = 0.5
_TOKEN_SIMILARITY = 80  # rapidfuzz ratio (0-100) at which a typo still counts as the word


def format_ticket_ref(number: int) -> str:
    return f"TCK-{number:05d}"


def extract_ticket_refs(text: str) -> tuple[str, ...]:
    refs = dict.fromkeys(format_ticket_ref(int(m.group(1))) for m in _TICKET_RE.finditer(text))
    return tuple(refs)


def extract_order_numbers(text: str) -> tuple[str, ...]:
    ticket_spans = [m.span() for m in _TICKET_RE.finditer(text)]

    def outside_tickets(match: re.Match[str]) -> bool:
        return not any(start <= match.start() < end for start, end in ticket_spans)

    found: dict[str, None] = {}
    for regex in (_ORDER_PREFIXED_RE, _ORDER_HASH_RE, _BARE_NUMBER_RE):
        for match in regex.finditer(text):
            if outside_tickets(match):
                found[match.group(1)] = None
    return tuple(found)


def _words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text.lower()) if len(w) > 1 and w not in _PRODUCT_STOPWORDS]


class ProductMatcher:
    """Typo-tolerant product-name matching against a list of names given by the caller.

    A product's score is the idf-weighted share of its name's words that appear in the message,
    a word counting when its similarity to a message word is at least 80/100 (so "trimer" finds
    "Trimmer"). Words shared by many names ("garden") weigh less than distinctive ones ("hose").
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        self._name_words = [list(dict.fromkeys(_words(n))) for n in self.names]
        df = Counter(w for words in self._name_words for w in words)
        total = max(len(self.names), 1)
        self._idf = {w: math.log(1 + total / c) for w, c in df.items()}

    def match(self, text: str, *, limit: int = 3) -> tuple[ProductMatch, ...]:
        query_words = set(_words(text))
        if not query_words or not self.names:
            return ()
        found: dict[str, float] = {}
        matches: list[ProductMatch] = []
        for name, words in zip(self.names, self._name_words, strict=True):
            if not words:
                continue
            total = sum(self._idf[w] for w in words)
            hit = 0.0
            for word in words:
                if word not in found:
                    found[word] = max(
                        (100.0 if q == word else fuzz.ratio(q, word) if len(q) > 3 and len(word) > 3 else 0.0)
                        for q in query_words
                    )
                if found[word] >= _TOKEN_SIMILARITY:
                    hit += self._idf[word]
            score = hit / total
            if score >= _MIN_PRODUCT_SCORE:
                matches.append(ProductMatch(name=name, score=round(score, 3)))
        matches.sort(key=lambda m: (-m.score, m.name))
        return tuple(matches[:limit])


def extract_entities(text: str, products: ProductMatcher | None = None) -> Entities:
    return Entities(
        order_numbers=extract_order_numbers(text),
        ticket_refs=extract_ticket_refs(text),
        products=products.match(text) if products else (),
    )
