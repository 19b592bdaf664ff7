"""StockDesk chat engine: pure Python, dataclasses in and out (see docs/chatbot.md).

The Django layer builds one engine per process with ``build_engine`` and calls ``engine.reply``;
after an article changes it calls ``engine.rebuild_index`` on commit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .content import load_articles
from .dataset import article_examples, load_labelled, load_product_names, load_split
from .decision import DecisionModel, Verdict, load_decision_model
from .embedder import load_embedder
from .engine import Analysis, ChatEngine, ConversationContext
from .intents import LabelledMessage
from .types import Action, Article, ArticleHit, EngineReply, Entities, Intent, ProductMatch
from .vector_store import VectorStore

__all__ = [
    "Action",
    "Analysis",
    "Article",
    "ArticleHit",
    "ChatEngine",
    "ConversationContext",
    "DecisionModel",
    "EngineReply",
    "Entities",
    "Intent",
    "LabelledMessage",
    "ProductMatch",
    "VectorStore",
    "Verdict",
    "article_examples",
    "build_engine",
    "load_articles",
    "load_decision_model",
    "load_embedder",
    "load_labelled",
    "load_product_names",
    "load_split",
]


def build_engine(
    *,
    articles: Sequence[Article] | None = None,
    product_names: Sequence[str] = (),
    use_embeddings: bool = True,
    vector_cache: str | os.PathLike[str] | None = None,
) -> ChatEngine:
    """An engine trained on the tuning part and on what the articles say (``article_examples``).

    ``articles`` defaults to the help-centre content in ``chatbot/content``. With
    ``use_embeddings=False`` (or when the model cannot be loaded) it runs on the lexical fallback.
    ``vector_cache`` is a file (``VectorStore``) shared by the processes that build engines: the
    build reuses the vectors saved there and saves them back when it embedded new texts, so a
    process start embeds only what no process has embedded before. Empty or ``None``: no file.
    """
    articles = list(articles) if articles is not None else load_articles()
    embedder = load_embedder() if use_embeddings else None
    return ChatEngine(
        articles=articles,
        training=load_split("tuning"),
        product_names=product_names,
        embedder=embedder,
        vector_store=VectorStore(vector_cache) if vector_cache else None,
    )
