"""Intent detection: a logistic regression on TF-IDF (words + character n-grams) and, when the
embedder is available, the sentence embedding. Trained once from labelled examples (seconds),
never per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from .embedder import CachedEmbedder, Embedder
from .lexical import TfidfFeatures
from .types import Intent

# Scale of the dense embedding block next to the L2-normalised sparse blocks; with 1.0 each block
# weighs about the same. C chosen by cross-validation on the tuning part.
EMBEDDING_WEIGHT = 2.0
REGULARISATION_C = 3.0
# Total weight of an intent's training examples relative to the other intents (otherwise all
# equal, scikit-learn's "balanced"). FAQ counts double: its examples are few customer messages among
# many article passages, and grouped cross-validation on the tuning part (articles without example
# questions) answered more FAQ questions correctly with it, at the same hand-over precision.
CLASS_WEIGHTS: dict[Intent, float] = {Intent.FAQ: 2.0}


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    intent: Intent
    article: str | None = None  # slug of the article that answers it (FAQ messages)
    # Where the example comes from: a customer "message" (the labelled set) or, derived from an
    # article by ``article_examples``, an "example" question, the "title", a "passage" or a "sentence".
    source: str = "message"


def balanced_weights(examples: Sequence[LabelledMessage]) -> np.ndarray:
    """Per-example weights so that every intent weighs the same in total (scikit-learn's
    "balanced"), times its ``CLASS_WEIGHTS`` share."""
    labels = np.array([e.intent.value for e in examples])
    weights = np.ones(len(examples), dtype=np.float64)
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
        """``embedder`` embeds queries; the training examples go through ``vector_cache`` when
        given (the engine's, so a refit after an article changed embeds only its new texts)."""
        if not examples:
            raise ValueError("the intent model needs labelled examples")
        self.embedder = embedder
        # No stop words: "where", "my", "how" matter for intents.
        texts = [e.text for e in examples]
        self.texts = texts
        self._lexical = TfidfFeatures(stop_words=None).fit(texts)
        vectors = (vector_cache or embedder).embed(texts) if embedder is not None else None
        features = self._features(texts, vectors)
        # Nearest-example similarity, in the embedding space when there is one, else in TF-IDF
        # space: "is this message closer to something we answer or to something we don't?"
        neighbours = vectors if vectors is not None else self._lexical.transform(texts)
        out_of_scope = np.array([e.intent == Intent.OUT_OF_SCOPE for e in examples])
        self._in_scope_rows = neighbours[np.flatnonzero(~out_of_scope)]
        self._out_of_scope_rows = neighbours[np.flatnonzero(out_of_scope)]
        labels = [e.intent.value for e in examples]
        # newton-cg reaches the same optimum as lbfgs here in a quarter of the time (about 1 s for
        # the demo help centre), which keeps the refit after an article change cheap.
        self._model = LogisticRegression(C=REGULARISATION_C, solver="newton-cg", max_iter=3000)
        self._model.fit(features, labels, sample_weight=balanced_weights(examples))
        self.labels = [Intent(label) for label in self._model.classes_]
        # Kept as arrays to score one message without scikit-learn's per-call validation.
        self._coef = self._model.coef_.T
        self._intercept = self._model.intercept_

    def _features(self, texts: list[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        blocks = [self._lexical.transform(texts)]
        if self.embedder is not None:
            if vectors is None:
                vectors = self.embedder.embed(texts)
            blocks.append(sparse.csr_matrix(vectors * EMBEDDING_WEIGHT))
        return sparse.hstack(blocks).tocsr()

    def neighbour_similarities(self, text: str, query_vector: np.ndarray | None = None) -> tuple[float, float]:
        """Highest similarity to an in-scope and to an out-of-scope training example."""
        if self.embedder is not None:
            row = query_vector if query_vector is not None else self.embedder.embed([text])[0]
            in_scope = np.einsum("ij,j->i", self._in_scope_rows, row)
            out_of_scope = np.einsum("ij,j->i", self._out_of_scope_rows, row)
        else:
            row = self._lexical.transform([text])
            in_scope = (self._in_scope_rows @ row.T).toarray().ravel()
            out_of_scope = (self._out_of_scope_rows @ row.T).toarray().ravel()
        return (
            float(in_scope.max()) if in_scope.size else 0.0,
            float(out_of_scope.max()) if out_of_scope.size else 0.0,
        )

    def predict(self, text: str, query_vector: np.ndarray | None = None) -> dict[Intent, float]:
        lexical = self._lexical.transform([text])
        width = lexical.shape[1]
        logits = np.asarray(lexical @ self._coef[:width]).ravel() + self._intercept
        if self.embedder is not None:
            vector = query_vector if query_vector is not None else self.embedder.embed([text])[0]
            logits += (vector * EMBEDDING_WEIGHT) @ self._coef[width:]
        exp = np.exp(logits - logits.max())
        probabilities = exp / exp.sum()  # multinomial logistic regression, as predict_proba
        return dict(zip(self.labels, (float(p) for p in probabilities), strict=True))
