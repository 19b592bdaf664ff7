"""Article retrieval: sentence embeddings (max over an article's passages) plus TF-IDF on words and
character n-grams. Without an embedder the TF-IDF part alone ranks the articles (the fallback).

Building embeds every passage once; vectors are cached by text (``CachedEmbedder``), so rebuilding
after one article changed embeds only that article's passages (a few tens of milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .embedder import CachedEmbedder, Embedder
from .lexical import TfidfFeatures
from .text import body_passage_pairs, plain
from .types import Article, ArticleHit

# How much the lexical similarity adds to the semantic one; it rewards exact product names,
# SKUs and rare words that embeddings blur. Chosen on the tuning part (see docs/chatbot.md).
LEXICAL_WEIGHT = 0.3
_HEADING_RE = re.compile(r"^#{1,6}\s")


def _passages_and_answers(article: Article) -> dict[str, str]:
    """The texts that stand for the article (its title, example questions and body passages
    prefixed with the title), each with the body passage it quotes ("" for the title and the
    example questions)."""
    pairs = [(article.title, ""), *((q, "") for q in article.example_questions)]
    # A heading ("## Gift cards") helps find the article but says nothing when quoted alone.
    pairs += [
        (f"{article.title}: {text}", "" if _HEADING_RE.match(source) else source)
        for text, source in body_passage_pairs(article.body)
    ]
    found: dict[str, str] = {}
    for text, answer in pairs:
        if text.strip() and text not in found:
            found[text] = answer
    return found


def article_passages(article: Article) -> list[str]:
    """Texts that stand for the article: its title, example questions and body passages."""
    return list(_passages_and_answers(article))


def article_document(article: Article) -> str:
    return " ".join(
        [article.title, article.title, " ".join(article.tags), *article.example_questions, plain(article.body)]
    )


def _by_term(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows = texts, columns = n-grams -> rows = n-grams, columns = texts."""
    return matrix.T.tocsr()


def _cosines(terms: sparse.csr_matrix, query: sparse.csr_matrix) -> np.ndarray:
    """Dot product of one query row with every text: the query's n-gram rows, weighted and summed."""
    return np.asarray(terms[query.indices].T @ query.data, dtype=np.float64).ravel()


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[ArticleHit, ...]
    query_vector: np.ndarray | None


class ArticleIndex:
    def __init__(
        self,
        articles: Sequence[Article],
        *,
        embedder: Embedder | None,
        vector_cache: CachedEmbedder | None = None,
    ) -> None:
        """``embedder`` embeds queries; passages go through ``vector_cache`` (made here if not
        given), which the engine shares with its intent model and prunes after a rebuild."""
        # An article with nothing to match (a blank title, no body, no examples) cannot be found.
        self.articles = [a for a in articles if a.published and article_passages(a)]
        self.embedder = embedder
        self.engine_name = embedder.name if embedder is not None else "lexical"
        if embedder is not None and vector_cache is None:
            vector_cache = CachedEmbedder(embedder)
        self.vector_cache = vector_cache
        passages: list[str] = []
        answers: list[str] = []  # per passage, the body passage it quotes ("" for titles, examples)
        owners: list[int] = []
        for position, article in enumerate(self.articles):
            texts = _passages_and_answers(article)
            passages += texts
            answers += texts.values()
            owners += [position] * len(texts)
        self.passages = passages
        self._answers = answers
        self._owners = np.asarray(owners, dtype=np.int64)
        # Start of each article's run of passages, for a per-article max with reduceat.
        self._starts = np.searchsorted(self._owners, np.arange(len(self.articles)))
        self._ends = np.append(self._starts[1:], len(passages))
        self._slugs = {a.slug: a for a in self.articles}
        self._lexical = TfidfFeatures()
        if self.articles:
            documents = [article_document(a) for a in self.articles]
            # Kept term by term (one row per n-gram): a message has a few dozen n-grams, and summing
            # their rows costs 0.26 ms with 1,000 articles where a sparse matrix product took 2.2 ms.
            self._doc_terms = _by_term(self._lexical.fit(documents).transform(documents))
            # Passage-level TF-IDF is only used without embeddings.
            self._passage_terms = _by_term(self._lexical.transform(passages)) if embedder is None else None
        self._passage_vectors: np.ndarray | None = None
        if self.vector_cache is not None and passages:
            self._passage_vectors = self.vector_cache.embed(passages)

    def embed_query(self, text: str) -> np.ndarray | None:
        if self.embedder is None:
            return None
        return self.embedder.embed([text])[0]

    def scores(self, text: str, query_vector: np.ndarray | None = None) -> np.ndarray:
        """One relevance score per article (cosine-like, roughly 0..1.3)."""
        return self._scores(text, query_vector)[0]

    def _scores(self, text: str, query_vector: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The articles' scores and every passage's own similarity to the message."""
        if not self.articles:
            return np.zeros(0), np.zeros(0)
        query_lex = self._lexical.transform([text])
        doc_lex = _cosines(self._doc_terms, query_lex)
        if self._passage_vectors is not None:
            if query_vector is None:
                query_vector = self.embed_query(text)
            # einsum, not "@": OpenBLAS's threaded sgemv took 4 ms here for 5,000 passages, einsum 0.5 ms.
            passages = np.einsum("ij,j->i", self._passage_vectors, query_vector)
            return np.maximum.reduceat(passages, self._starts) + LEXICAL_WEIGHT * doc_lex, passages
        passages = _cosines(self._passage_terms, query_lex)
        return np.maximum.reduceat(passages, self._starts) * 0.6 + doc_lex * 0.4, passages

    def search(self, text: str, *, k: int = 3, query_vector: np.ndarray | None = None) -> tuple[ArticleHit, ...]:
        scores, passages = self._scores(text, query_vector)
        if scores.size == 0:
            return ()
        top = np.argsort(-scores)[:k]
        return tuple(
            ArticleHit(
                slug=self.articles[i].slug,
                title=self.articles[i].title,
                score=round(float(scores[i]), 4),
                passage=self._answers[self._starts[i] + int(np.argmax(passages[self._starts[i] : self._ends[i]]))],
            )
            for i in top
        )

    def article(self, slug: str) -> Article | None:
        return self._slugs.get(slug)
