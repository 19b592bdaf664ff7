"""One chat engine per process: built lazily on first use, rebuilt only when articles change.

The engine trains its intent model and embeds the articles when it is built (seconds), so that
happens once per process, never per request. After an article is saved the service schedules
``engine_articles_changed`` on commit: it bumps a version number in the shared cache and rebuilds
this process's index; other processes see the new version on their next reply and rebuild once.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache

from .engine import Article as EngineArticle
from .engine import ChatEngine, build_engine

logger = logging.getLogger(__name__)

VERSION_KEY = "chatbot:articles-version"

_lock = threading.Lock()
_engine: ChatEngine | None = None
_engine_version: int | None = None
_names_at = 0.0
# The product list changes in the inventory app (no hook into the chat): the engine re-reads the
# names at most this often, one query, so a new product is recognised within minutes.
PRODUCT_NAMES_TTL = 300.0


def engine_articles() -> list[EngineArticle]:
    """The published articles as the engine's dataclasses (a read, one query)."""
    from .facts import render_facts
    from .models import Article

    return [
        EngineArticle(
            slug=a.slug,
            title=a.title,
            body=render_facts(a.body),  # indexed with the shop's current facts (chatbot/facts.py)
            category=a.category,
            tags=tuple(a.tag_list),
            example_questions=tuple(a.question_list),
            published=True,
        )
        for a in Article.objects.filter(is_published=True).order_by("slug")
    ]


def _product_names() -> list[str]:
    from inventory.selectors import product_list_for_storefront

    return sorted(set(product_list_for_storefront().values_list("name", flat=True)))


def _current_version() -> int:
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def get_engine() -> ChatEngine:
    """This process's engine (thread-safe lazy build); rebuilt once if articles changed elsewhere."""
    global _engine, _engine_version
    version = _current_version()
    engine = _engine
    if engine is not None and _engine_version == version:
        if time.monotonic() - _names_at > PRODUCT_NAMES_TTL:
            refresh_product_names()
        return engine
    with _lock:
        if _engine is None:
            _engine = build_engine(
                articles=engine_articles(),
                product_names=_product_names(),
                use_embeddings=getattr(settings, "CHATBOT_USE_EMBEDDINGS", True),
                vector_cache=getattr(settings, "CHATBOT_VECTOR_CACHE", ""),
            )
            _mark_names_fresh()
            logger.info("chatbot: active engine is %s", _engine.engine_name)
        elif _engine_version != version:
            _engine.rebuild_index(engine_articles())
            _engine.set_product_names(_product_names())
            _mark_names_fresh()
        _engine_version = version
        return _engine


def warm_up() -> ChatEngine | None:
    """Build this process's engine now and log how long it took; returns it (``None`` on failure).

    For a web worker before its first request: gunicorn's ``post_fork`` or ``post_worker_init``
    hook, or the background thread ``ChatbotConfig.ready`` starts under runserver/gunicorn. Safe to
    call more than once and from several threads (one build; later calls return the same engine).
    Never raises: a failure is logged and the first chat request tries again. If Django is not set
    up yet (``post_fork`` without ``preload_app``) it runs ``django.setup()``, which needs
    ``DJANGO_SETTINGS_MODULE``. With ``preload_app`` set ``CHATBOT_WARM_UP=0`` so that the master
    does not start a build before it forks, and call this in ``post_fork``.
    """
    import django
    from django.apps import apps
    from django.db import connections

    started = time.perf_counter()
    try:
        if not apps.ready:
            django.setup()
        try:
            engine = get_engine()
        finally:
            # The build reads articles and products; do not keep this thread's connections open
            # (unless a caller's transaction is still using them, as in a test).
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()
    except Exception:  # a worker must start even if the engine cannot be built yet
        logger.exception("chatbot: engine warm-up failed; the first chat request will try again")
        return None
    logger.info("chatbot: engine warm-up done in %.1f s (%s)", time.perf_counter() - started, engine.engine_name)
    return engine


def _mark_names_fresh() -> None:
    global _names_at
    _names_at = time.monotonic()


def refresh_product_names() -> None:
    """Give the engine the current storefront product names (products changed)."""
    engine = _engine
    if engine is not None:
        engine.set_product_names(_product_names())
        _mark_names_fresh()


def set_engine(engine: ChatEngine | None) -> None:
    """Install a prebuilt engine (tests share one per session; ``None`` forgets it)."""
    global _engine, _engine_version
    with _lock:
        _engine = engine
        _engine_version = _current_version() if engine is not None else None
    _mark_names_fresh()


def engine_articles_changed() -> None:
    """On commit after an article changed: new version for every process, rebuild here now."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)
    if _engine is not None:
        get_engine()


def engine_status() -> str:
    return _engine.engine_name if _engine is not None else "not built yet"


def embed_texts(texts: list[str]):
    """Sentence vectors from this process's engine when it runs the sentence model, else None."""
    engine = _engine
    embedder = getattr(engine, "embedder", None) if engine is not None else None
    if embedder is None or not texts:
        return None
    return embedder.embed(list(texts))
