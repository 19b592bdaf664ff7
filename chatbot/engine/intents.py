"""Intent detection: a logistic regression (scikit-learn) on TF-IDF words + character n-grams and,
when the embedder is available, the sentence embedding. Trained when the engine is built (about a
second), never per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from .embedder import CachedEmbedder, Embedder
from .retrieval import lexical_features
from .types import Intent

# Scale of the dense embedding block next to the two L2-normalised sparse blocks.
EMBEDDING_WEIGHT = 2.0
REGULARISATION_C = 3.0
# FAQ's customer messages are few among many article passages: it counts double in "balanced".
CLASS_WEIGHTS: dict[Intent, float] = {Intent.FAQ: 2.0}


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    intent: Intent
    article: str | None = None  # slug of the article that answers it (FAQ messages)
    # "message" (the labelled set) or, from ``article_examples``: "example", "title", "passage", "sentence".
    source: str = "message"


def balanced_weights(examples: Sequence[LabelledMessage]) -> np.ndarray:
    labels = np.array([e.intent.value for e in examples])
    weights = np.ones(len(examples))
    classes = np.unique(labels)
    for label in classes:
        members = labels == label
        weights[members] = CLASS_WEIGHTS.get(Intent(label), 1.0) * len(examples) / (len(classes) * members.sum())
    return weights


class IntentModel:
    def __init__(
        self,
        examples: Sequence[LabelledMessage],
        *,
        embedder: Embedder | None,
        vector_cache: CachedEmbedder | None = None,
    ) -> None:
        if not examples:
            raise ValueError("the intent model needs labelled examples")
        self.embedder = embedder
        self.texts = [e.text for e in examples]
        self._lexical = lexical_features().fit(self.texts)  # no stop words: "where", "my", "how" matter here
        vectors = (vector_cache or embedder).embed(self.texts) if embedder is not None else None
        features = self._features(self.texts, vectors)
        # Nearest-example similarity (embedding space, else TF-IDF): closer to what we answer or not?
        neighbours = vectors if vectors is not None else self._lexical.transform(self.texts)
        out_of_scope = np.array([e.intent == Intent.OUT_OF_SCOPE for e in examples])
        self._in_scope_rows = neighbours[np.flatnonzero(~out_of_scope)]
        self._out_of_scope_rows = neighbours[np.flatnonzero(out_of_scope)]
        self._model = LogisticRegression(C=REGULARISATION_C, solver="newton-cg", max_iter=3000)
        self._model.fit(features, [e.intent.value for e in examples], sample_weight=balanced_weights(examples))
        self.labels = [Intent(label) for label in self._model.classes_]

    def _features(self, texts: list[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        blocks = [self._lexical.transform(texts)]
        if vectors is not None:
            blocks.append(sparse.csr_matrix(vectors * EMBEDDING_WEIGHT))
        return sparse.hstack(blocks).tocsr()

    def _vector(self, text: str, query_vector: np.ndarray | None) -> np.ndarray | None:
        if self.embedder is None:
            return None
        return query_vector if query_vector is not None else self.embedder.embed([text])[0]

    def predict(self, text: str, query_vector: np.ndarray | None = None) -> dict[Intent, float]:
        vector = self._vector(text, query_vector)
        features = self._features([text], None if vector is None else vector[None, :])
        probabilities = self._model.predict_proba(features)[0]
        return dict(zip(self.labels, (float(p) for p in probabilities), strict=True))

    def neighbour_similarities(self, text: str, query_vector: np.ndarray | None = None) -> tuple[float, float]:
        """Highest similarity to an in-scope and to an out-of-scope training example."""
        vector = self._vector(text, query_vector)
        if vector is not None:
            inside, outside = self._in_scope_rows @ vector, self._out_of_scope_rows @ vector
        else:
            row = self._lexical.transform([text]).T
            inside = (self._in_scope_rows @ row).toarray().ravel() / 2
            outside = (self._out_of_scope_rows @ row).toarray().ravel() / 2
        return (float(inside.max()) if inside.size else 0.0, float(outside.max()) if outside.size else 0.0)
