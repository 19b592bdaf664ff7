"""Group similar customer questions so agents see topics, not hundreds of single lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

LEXICAL_SIMILARITY = 0.25  # character n-gram TF-IDF cosine: "where is my refund" ~ "wheres my refund??"
SEMANTIC_SIMILARITY = 0.5  # sentence-embedding cosine: "refund" ~ "money back", when the model is loaded


def _lexical(texts: Sequence[str]) -> np.ndarray:
    try:
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(
            [t.lower() for t in texts]
        )
    except ValueError:  # nothing but punctuation
        return np.eye(len(texts))
    return (vectors @ vectors.T).toarray()


def group_similar(texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> list[list[int]]:
    """Indices of ``texts`` in groups, largest first (single linkage: a question joins the first
    group holding a similar one). ``embeddings`` (unit vectors, one row per text) add meaning on
    top of spelling when the chat engine runs with its sentence model."""
    n = len(texts)
    if n == 0:
        return []
    similar = _lexical(texts) >= LEXICAL_SIMILARITY
    if embeddings is not None and len(embeddings) == n:
        similar |= (embeddings @ embeddings.T) >= SEMANTIC_SIMILARITY
    groups: list[list[int]] = []
    for i in range(n):
        home = next((g for g in groups if similar[i, g].any()), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    groups.sort(key=len, reverse=True)
    return groups
