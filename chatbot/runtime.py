"""One chat engine per process: built lazily on first use, rebuilt off the request path when
articles change.

The engine embeds the articles and trains its intent model when it is built (seconds), so that
happens once per process, never per request. After a transaction that saved articles commits,
the ``chatbot.articles_changed`` task runs once (``services.articles_changed_on_commit``): it bumps
a version number in the shared cache and, in a process that has an engine, rebuilds it in a
background thread. Every other process notices the new version on its next reply and rebuilds in
its own background thread; replies keep using the old engine until the new one is swapped in.
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
# The rebuild waiting for the background thread: (version, articles, product names), read from
# the database by the thread that asked, so the thread itself never queries.
_pending: tuple[int, list[EngineArticle], list[str]] | None = None
_scheduled_version: int | None = None
_rebuilder: threading.Thread | None = None
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
    """This process's engine. The first call builds it (thread-safe); when the articles changed
    elsewhere it schedules a background rebuild and answers with the current engine meanwhile."""
    global _engine, _engine_version
    version = _current_version()
    engine = _engine
    if engine is not None:
        if _engine_version != version and _scheduled_version != version:
            schedule_rebuild(version)
        elif time.monotonic() - _names_at > PRODUCT_NAMES_TTL:
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
            _engine_version = version
            _mark_names_fresh()
            logger.info("chatbot: active engine is %s", _engine.engine_name)
        return _engine


def schedule_rebuild(version: int) -> None:
    """Read the articles and product names now (as this thread's transaction sees them) and
    rebuild the engine from them in the background thread. Requests made meanwhile coalesce: the
    thread builds the latest one once it is done with the current build."""
    global _pending, _scheduled_version, _rebuilder
    articles, names = engine_articles(), _product_names()
    with _lock:
        if _engine is None:
            return
        _pending, _scheduled_version = (version, articles, names), version
        if _rebuilder is None:
            _rebuilder = threading.Thread(target=_rebuild_pending, name="chatbot-rebuild", daemon=True)
            _rebuilder.start()


def _rebuild_pending() -> None:
    global _pending, _rebuilder, _engine_version
    while True:
        with _lock:
            job, engine, _pending = _pending, _engine, None
            if job is None or engine is None:
                _rebuilder = None
                return
        version, articles, names = job
        try:
            engine.rebuild_index(articles)
            engine.set_product_names(names)
        except Exception:  # the old engine keeps answering; the next change tries again
            logger.exception("chatbot: rebuilding the engine failed")
            continue
        with _lock:
            if _engine is engine:
                _engine_version = version
        _mark_names_fresh()


def wait_for_rebuild(timeout: float = 120.0) -> bool:
    """Block until no rebuild is running or waiting (for commands and tests); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            thread = _rebuilder
        if thread is None:
            return True
        thread.join(min(1.0, max(0.0, deadline - time.monotonic())))
    return False


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
    global _engine, _engine_version, _scheduled_version
    wait_for_rebuild()
    with _lock:
        _engine = engine
        _engine_version = _current_version() if engine is not None else None
        _scheduled_version = None
    _mark_names_fresh()


def engine_articles_changed() -> None:
    """After a transaction that changed articles committed: a new version for every process,
    and this process's engine (if it has one) rebuilt in the background."""
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:
        version = 2
        cache.set(VERSION_KEY, version, timeout=None)
    if _engine is not None:
        schedule_rebuild(version)


def engine_status() -> str:
    return _engine.engine_name if _engine is not None else "not built yet"


def embed_texts(texts: list[str]):
    """Sentence vectors from this process's engine when it runs the sentence model, else None."""
    engine = _engine
    embedder = getattr(engine, "embedder", None) if engine is not None else None
    if embedder is None or not texts:
        return None
    return embedder.embed(list(texts))
