"""Article retrieval: the sentence embedding's cosine with each article's best passage, plus a
TF-IDF cosine (scikit-learn, words and character n-grams) with the whole article. Without an
embedder the TF-IDF part alone ranks the articles (the fallback).

Passage vectors go through ``CachedEmbedder``, so a rebuild after one article changed embeds only
that article's new passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from .embedder import CachedEmbedder, Embedder
from .text import body_passage_pairs, plain
from .types import Article, ArticleHit

# How much the lexical cosine adds to the semantic one: it rewards exact names and rare words
# that embeddings blur, and typed-as-heard words through the character n-grams.
LEXICAL_WEIGHT = 0.3
_HEADING_RE = re.compile(r"^#{1,6}\s")


def lexical_features() -> FeatureUnion:
    """Word 1-2 grams and character 3-5 grams, each block L2-normalised (so a cosine is dot / 2)."""
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode")),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode"),
            ),
        ]
    )


def _passages_and_answers(article: Article) -> dict[str, str]:
    """The texts that stand for the article (title, example questions, body passages prefixed with
    the title), each with the body passage it would quote ("" for the title and examples)."""
    pairs = [(article.title, ""), *((q, "") for q in article.example_questions)]
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
    return list(_passages_and_answers(article))


def article_document(article: Article) -> str:
    return " ".join(
        [article.title, article.title, " ".join(article.tags), *article.example_questions, plain(article.body)]
    )


class ArticleIndex:
    def __init__(
        self, articles: Sequence[Article], *, embedder: Embedder | None, vector_cache: CachedEmbedder | None = None
    ) -> None:
        # An article with nothing to match (a blank title, no body, no examples) cannot be found.
        self.articles = [a for a in articles if a.published and article_passages(a)]
        self.embedder = embedder
        passages: list[str] = []
        answers: list[str] = []
        owners: list[int] = []
        for position, article in enumerate(self.articles):
            texts = _passages_and_answers(article)
            passages += texts
            answers += texts.values()
            owners += [position] * len(texts)
        self.passages = passages
        self._answers = answers
        self._starts = np.searchsorted(np.asarray(owners, dtype=np.int64), np.arange(len(self.articles)))
        self._by_slug = {a.slug: a for a in self.articles}
        self._vectors = None
        if embedder is not None and passages:
            self._vectors = (vector_cache or CachedEmbedder(embedder)).embed(passages)
        self._lexical = lexical_features()
        self._documents = (
            self._lexical.fit_transform([article_document(a) for a in self.articles]) if self.articles else None
        )

    def article(self, slug: str) -> Article | None:
        return self._by_slug.get(slug)

    def embed_query(self, text: str) -> np.ndarray | None:
        return self.embedder.embed([text])[0] if self.embedder is not None else None

    def scores(self, text: str, query_vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Per article the combined score, and per passage the query's cosine (None without
        embeddings)."""
        if not self.articles:
            return np.zeros(0), None
        lexical = (self._documents @ self._lexical.transform([text]).T).toarray().ravel() / 2
        if self._vectors is None:
            return lexical, None
        if query_vector is None:
            query_vector = self.embed_query(text)
        cosines = self._vectors @ query_vector
        return np.maximum.reduceat(cosines, self._starts) + LEXICAL_WEIGHT * lexical, cosines

    def search(self, text: str, *, k: int = 3, query_vector: np.ndarray | None = None) -> tuple[ArticleHit, ...]:
        combined, cosines = self.scores(text, query_vector)
        ends = np.append(self._starts[1:], len(self.passages))
        hits = []
        for i in np.argsort(-combined, kind="stable")[:k]:
            passage = ""
            if cosines is not None:  # the body passage that matched best, to quote
                passage = self._answers[self._starts[i] + int(np.argmax(cosines[self._starts[i] : ends[i]]))]
            article = self.articles[i]
            hits.append(
                ArticleHit(slug=article.slug, title=article.title, score=round(float(combined[i]), 4), passage=passage)
            )
        return tuple(hits)
