"""Group similar customer questions so agents see topics, not hundreds of single lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

SIMILARITY = 0.3


def group_similar(texts: Sequence[str], *, threshold: float = SIMILARITY) -> list[list[int]]:
    """Indices of ``texts`` in groups (largest first): each joins the first group whose seed is similar.

    Word and character n-gram TF-IDF with cosine similarity: cheap, deterministic, and good at
    "where is my refund" / "wheres my refund??" (the sentence model is kept for the chat itself).
    """
    if not texts:
        return []
    if len(texts) == 1:
        return [[0]]
    try:
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(
            [t.lower() for t in texts]
        )
    except ValueError:  # nothing but punctuation
        return [[i] for i in range(len(texts))]
    similarity = (vectors @ vectors.T).toarray()
    groups: list[list[int]] = []
    seeds: list[int] = []
    for i in range(len(texts)):
        best = int(np.argmax([similarity[i, s] for s in seeds])) if seeds else -1
        if best >= 0 and similarity[i, seeds[best]] >= threshold:
            groups[best].append(i)
        else:
            seeds.append(i)
            groups.append([i])
    groups.sort(key=len, reverse=True)
    return groups
