"""Entity extraction: order numbers, ticket references, fuzzy product names and other companies."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from scipy import sparse

from .types import Entities, ProductMatch
from .words import may_be_typo, typo_edits_allowed, word_forms

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
# Auxiliary verbs, pronouns and question words: they count towards a name that has them ("Watering
# Can") only next to one of its other words, so "can I pay by card" names no product.
_AUXILIARY_WORDS = frozenset(
    [
        "can",
        "will",
        "may",
        "must",
        "would",
        "could",
        "should",
        "be",
        "was",
        "were",
        "has",
        "had",
        "get",
        "me",
        "my",
        "your",
        "our",
        "we",
        "us",
        "if",
        "or",
        "from",
        "at",
        "so",
        "not",
        "no",
        "when",
        "where",
        "which",
        "who",
        "why",
        "there",
        "here",
        "please",
    ]
)
_MIN_PRODUCT_SCORE = 0.5


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
    in the singular or the plural or with a typo (``may_be_typo``, ``typo_edits_allowed``:
    "trimer" finds "Trimmer"). Words shared by many names ("garden") weigh less than distinctive
    ones ("hose").

    Each distinct word of the catalogue is compared once per message, all at once in rapidfuzz's
    ``cdist``, and the names are scored with one sparse product: with 1,000 products a message
    costs well under a millisecond, where a loop over names and words cost about 9 ms.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        name_words = [list(dict.fromkeys(_words(n))) for n in self.names]
        df = Counter(w for words in name_words for w in words)
        total = max(len(self.names), 1)
        self._vocabulary = list(df)
        self._position = {w: i for i, w in enumerate(self._vocabulary)}
        self._lengths = np.array([len(w) for w in self._vocabulary], dtype=np.int64)
        self._content = np.array([w not in _AUXILIARY_WORDS for w in self._vocabulary], dtype=bool)
        idf = {w: math.log(1 + total / c) for w, c in df.items()}
        rows = [r for r, words in enumerate(name_words) for _ in words]
        cols = [self._position[w] for words in name_words for w in words]
        values = [idf[w] for words in name_words for w in words]
        self._weights = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float64), (rows, cols)), shape=(len(self.names), len(self._vocabulary))
        )
        self._totals = np.asarray(self._weights.sum(axis=1), dtype=np.float64).ravel()

    def match(self, text: str, *, limit: int = 3) -> tuple[ProductMatch, ...]:
        query_words = list(dict.fromkeys(_words(text)))
        if not query_words or not self._vocabulary:
            return ()
        found = np.zeros(len(self._vocabulary), dtype=bool)
        for word in query_words:
            for form in word_forms(word):
                if form in self._position:
                    found[self._position[form]] = True
        typos = [q for q in query_words if may_be_typo(q)]
        if typos:
            distance = process.cdist(typos, self._vocabulary, scorer=OSA.distance, dtype=np.int64, score_cutoff=2)
            allowed = typo_edits_allowed(np.array([len(q) for q in typos]), self._lengths)
        as_written = found.copy()
        if typos:
            found |= ((distance <= allowed) & (allowed > 0)).any(axis=0)
        hits = self._weights @ found.astype(np.float64)
        scores = np.divide(hits, self._totals, out=np.zeros_like(hits), where=self._totals > 0)
        named = (self._weights @ (found & self._content).astype(np.float64)) > 0  # not by "can" alone
        exact = (self._weights @ (as_written & self._content).astype(np.float64)) > 0  # not by typos alone
        matches = [
            ProductMatch(
                name=self.names[i],
                score=round(float(scores[i]), 3),
                matched=round(float(hits[i]), 6),
                exact=bool(exact[i]),
            )
            for i in np.flatnonzero((scores >= _MIN_PRODUCT_SCORE) & named)
        ]
        matches.sort(key=lambda m: (-m.score, m.name))
        return tuple(matches[:limit])


OTHER_BUSINESSES_FILE = Path(__file__).resolve().parent / "data" / "other_businesses.txt"


@cache
def load_other_business_names(path: Path = OTHER_BUSINESSES_FILE) -> tuple[str, ...]:
    """The list's entries as written ("Amazon", "=Zara": see the file's header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))


def _display(entry: str) -> str:
    return entry[1:] if entry.startswith("=") else entry


_APOSTROPHES = "'\u2019\u2018\u02bc"


def _spelling(name: str) -> str:
    """A pattern for ``name`` as customers type it: any apostrophe (a curly one in "Sainsbury\u2019s"), any spaces
    between words and around "&" ("B & Q")."""
    pattern = re.escape(name)
    pattern = re.sub(r"(?:\\ )*\\?&(?:\\ )*", r"\\s*&\\s*", pattern)
    pattern = re.sub(r"(?:\\ )+", r"\\s+", pattern)
    return re.sub(f"[{_APOSTROPHES}]", f"[{_APOSTROPHES}]", pattern)


def _folded(text: str) -> str:
    """``text`` lower-cased with one apostrophe, single spaces and none around "&", for the
    substring search that finds candidate names."""
    text = re.sub(f"[{_APOSTROPHES}]", "'", text.lower())
    return re.sub(r"\s+", " ", re.sub(r"\s*&\s*", "&", text))


class _NamePattern:
    """One pattern for the names as whole words ("uber" is not in "uberised"), longest first so
    "Uber Eats" wins over "Uber"; case-insensitive except for entries marked "=" (as written).
    Each name is its own group, so a match is mapped back by position, never by re-casing the
    matched text (Unicode case folding does not round-trip: "İPHONE".lower() is not "iphone")."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.names = sorted(dict.fromkeys(entries), key=lambda e: len(_display(e)), reverse=True)
        alternatives = [f"((?-i:{_spelling(e[1:])}))" if e.startswith("=") else f"({_spelling(e)})" for e in self.names]
        self._regex = re.compile(r"(?<![\w&+])(?:" + "|".join(alternatives) + r")(?![\w&+])", re.IGNORECASE)

    def finditer(self, text: str) -> Iterator[str]:
        """The entries found in ``text``, in order (with repeats)."""
        for match in self._regex.finditer(text):
            yield self.names[match.lastindex - 1]


def mentioned_names(texts: Iterable[str], entries: Iterable[str] | None = None) -> frozenset[str]:
    """The list's entries that ``texts`` mention as whole words. A plain substring search finds
    the candidates first: a few names in a long text, in milliseconds."""
    entries = load_other_business_names() if entries is None else tuple(entries)
    text = " \n ".join(texts)
    folded = _folded(text)
    candidates = [e for e in entries if _folded(_display(e)) in folded]
    return frozenset(_NamePattern(candidates).finditer(text)) if candidates else frozenset()


class OtherBusinessMatcher:
    """Finds the names of other companies in a message ("my amazon parcel is late").

    ``ours`` is the shop's own text (the help centre and the product names): a listed name that
    appears there is part of the shop's business (a brand it sells, a service it uses) and is
    never counted as another company's. ``excluded`` gives such entries already found
    (``mentioned_names``). ``names`` defaults to the shipped list.
    """

    def __init__(
        self, ours: Iterable[str] = (), names: Iterable[str] | None = None, *, excluded: Iterable[str] = ()
    ) -> None:
        entries = load_other_business_names() if names is None else tuple(names)
        mentioned = {*excluded, *mentioned_names(ours, entries)}
        kept = [e for e in entries if e not in mentioned]
        self.names = tuple(_display(e) for e in kept)
        self._pattern = _NamePattern(kept) if kept else None

    def match(self, text: str) -> tuple[str, ...]:
        """The names found, as the list writes them, in the order they appear."""
        if self._pattern is None:
            return ()
        return tuple(dict.fromkeys(_display(e) for e in self._pattern.finditer(text)))


def extract_entities(
    text: str, products: ProductMatcher | None = None, businesses: OtherBusinessMatcher | None = None
) -> Entities:
    return Entities(
        order_numbers=extract_order_numbers(text),
        ticket_refs=extract_ticket_refs(text),
        products=products.match(text) if products else (),
        other_businesses=businesses.match(text) if businesses else (),
    )
