"""Entity extraction: order numbers, ticket references and product names (rapidfuzz)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .types import Entities, ProductMatch

# Ticket references are "TCK-00042"; customers also type "tck 42", "TCK00042" or "ticket 00318".
_TICKET_RE = re.compile(r"\b(?:tck[-\s#]?|ticket\s*(?:no\.?|number|nr|#)?\s*)(\d{1,6})\b", re.IGNORECASE)
# Order numbers: "SD-000123" (ours), "ORD-33120", "#20931", "order no 12", "my order 123", "order 10452",
# or a bare 5-8 digit number. A short number only with a marker: "can I order 3 chairs" names none.
_ORDER_PREFIXED_RES = (
    re.compile(r"\b(?:ord|sd)[-\s]?(\d{1,8})\b", re.IGNORECASE),
    re.compile(r"\border\s*(?:no\.?|number|nr|#)\s*#?(\d{1,8})\b", re.IGNORECASE),
    re.compile(r"\border\s+(\d{4,8})\b", re.IGNORECASE),
    re.compile(r"\b(?:my|the|this|that)\s+order\s+(\d{1,8})\b(?!\s*(?:x\b|items?|pieces?|units?))", re.IGNORECASE),
)
_ORDER_HASH_RE = re.compile(r"#(\d{4,8})\b")
_BARE_NUMBER_RE = re.compile(r"(?<![\w.,-])(\d{5,8})(?![\w.,])")
_WORD_RE = re.compile(r"[a-z]+")
# A message word names a word of a product when rapidfuzz's normalised OSA similarity (1 - edits /
# length, a swap of two letters one edit) reaches this: one edit in four letters ("hoze", "chiar",
# "lamps"), none in three. A real word one edit from a product word ("house") counts only its
# similarity, and whether a message is about a product at all is the intent model's call.
WORD_SIMILARITY = 0.75
MIN_PRODUCT_SCORE = 0.5


def format_ticket_ref(number: int) -> str:
    return f"TCK-{number:05d}"


def extract_ticket_refs(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(format_ticket_ref(int(m.group(1))) for m in _TICKET_RE.finditer(text)))


def extract_order_numbers(text: str) -> tuple[str, ...]:
    ticket_spans = [m.span() for m in _TICKET_RE.finditer(text)]
    found: dict[str, None] = {}
    for regex in (*_ORDER_PREFIXED_RES, _ORDER_HASH_RE, _BARE_NUMBER_RE):
        for match in regex.finditer(text):
            if not any(start <= match.start() < end for start, end in ticket_spans):
                found[match.group(1)] = None
    return tuple(found)


def _words(text: str) -> list[str]:
    """Words that can name a product: no English stop words ("can", "for") nor units ("cm", "l")."""
    return list(dict.fromkeys(w for w in _WORD_RE.findall(text.lower()) if len(w) > 2 and w not in ENGLISH_STOP_WORDS))


class ProductMatcher:
    """Product names in a message, typos and plurals included (rapidfuzz ``cdist``).

    A name's score is the idf-weighted share of its words that some message word resembles
    (``WORD_SIMILARITY``), each counted by that similarity: "trimer" counts 0.86 of "trimmer",
    and "price" only 0.8 of "pride". Words many names share ("garden") weigh less than rare ones.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        name_words = [_words(n) for n in self.names]
        df = Counter(w for words in name_words for w in words)
        self._vocabulary = list(df)
        position = {w: i for i, w in enumerate(self._vocabulary)}
        self._weights = np.zeros((len(self.names), len(self._vocabulary)))
        for row, words in enumerate(name_words):
            for word in words:
                self._weights[row, position[word]] = math.log(1 + len(self.names) / df[word])
        self._totals = self._weights.sum(axis=1)

    def match(self, text: str, *, limit: int = 3) -> tuple[ProductMatch, ...]:
        words = _words(text)
        if not words or not self._vocabulary:
            return ()
        similar = process.cdist(words, self._vocabulary, scorer=OSA.normalized_similarity, score_cutoff=WORD_SIMILARITY)
        found = similar.max(axis=0)  # per catalogue word its best similarity (0 below the cutoff)
        hits = self._weights @ found
        scores = np.divide(hits, self._totals, out=np.zeros_like(hits), where=self._totals > 0)
        matches = [
            ProductMatch(name=self.names[i], score=round(float(scores[i]), 3), matched=round(float(hits[i]), 6))
            for i in np.flatnonzero(scores >= MIN_PRODUCT_SCORE)
        ]
        matches.sort(key=lambda m: (-m.score, -m.matched, m.name))  # then the name with more of the words
        return tuple(matches[:limit])


def extract_entities(text: str, products: ProductMatcher | None = None) -> Entities:
    return Entities(
        order_numbers=extract_order_numbers(text),
        ticket_refs=extract_ticket_refs(text),
        products=products.match(text) if products else (),
    )
