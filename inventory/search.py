"""Catalogue search that forgives the way people type: "lamps" and "lmap" both find "Desk lamp".

Each word of the query must match a product's name or description (or the whole query its SKU).
A word matches in any of these forms:

- as typed, anywhere in the text ("lam" finds "lamp": people type prefixes);
- any word of the catalogue's vocabulary with the same English stem (Snowball/Porter2:
  "lamps" → "lamp", "batteries" → "battery");
- when the word is not in the vocabulary in any form, the vocabulary words whose stem is within
  a small Damerau-Levenshtein distance of its stem (one edit from four letters, two from eight;
  a swap of two neighbours counts as one edit, so "lmap" → "lamp" and "lmaps" → "lamp").

The vocabulary is the words of the storefront's product and category names, built once per
catalogue version (``storefront_cache``: a saved product or category makes a new one). It is the
same code on SQLite and PostgreSQL, so what the tests show is what production does; the match
itself stays ``icontains``, which is a scan of the active products (fine for a shop's catalogue of
thousands; a trigram index is the step for one of millions).
"""

from __future__ import annotations

import re
from functools import reduce
from operator import and_, or_

import snowballstemmer
from django.db.models import Q, QuerySet
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from . import storefront_cache
from .models import Category, Product

WORD = re.compile(r"\w+")
MAX_QUERY_WORDS = 8
TYPO_MATCHES = 3


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if len(w) > 1]


def _stems(words: list[str]) -> list[str]:
    # A stemmer object keeps state between calls: one per call, never shared across threads.
    return snowballstemmer.stemmer("english").stemWords(words)


def _allowed_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def _build_vocabulary() -> dict[str, list[str]]:
    names = [
        *Product.objects.filter(is_active=True).values_list("name", flat=True),
        *Category.objects.values_list("name", flat=True),
    ]
    words = sorted({w for name in names for w in _words(name) if not w.isdigit()})
    vocabulary: dict[str, list[str]] = {}
    for word, stem in zip(words, _stems(words), strict=True):
        vocabulary.setdefault(stem, []).append(word)
    return vocabulary


def vocabulary() -> dict[str, list[str]]:
    """Stem → the catalogue's words with that stem, for the current catalogue version."""
    return storefront_cache.catalogue_listing({"page": "search-vocabulary"}, _build_vocabulary)


def word_forms(query: str) -> list[set[str]]:
    """For each word of ``query``, the forms that count as a match for it."""
    words = _words(query)[:MAX_QUERY_WORDS]
    if not words:
        return []
    known = vocabulary()
    stems = list(known)
    in_catalogue = {w for forms in known.values() for w in forms}
    result = []
    for word, stem in zip(words, _stems(words), strict=True):
        forms = {word, *known.get(stem, ())}
        if len(forms) == 1 and word not in in_catalogue and _allowed_edits(word):
            close = process.extract(
                stem, stems, scorer=DamerauLevenshtein.distance, score_cutoff=_allowed_edits(word), limit=TYPO_MATCHES
            )
            for match, _distance, _index in close:
                forms.update(known[match])
        result.append(forms)
    return result


def filter_products(qs: QuerySet[Product], query: str) -> QuerySet[Product]:
    """``qs`` narrowed to the products that match ``query`` (see the module's docstring)."""
    query = (query or "").strip()
    if not query:
        return qs
    per_word = [
        reduce(or_, (Q(name__icontains=form) | Q(description__icontains=form) for form in sorted(forms)))
        for forms in word_forms(query)
    ]
    if not per_word:
        return qs.filter(sku__iexact=query)
    return qs.filter(Q(sku__iexact=query) | reduce(and_, per_word))
