"""Health checks for /healthz: the database, the cache and the broker, each named."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> None:
    # Raw SQL on purpose: the health check must prove a round trip to the server without touching
    # any table (an ORM query needs a model, and a missing table is a different failure).
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    if settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        # The cache ignores Redis errors so that pages keep working (settings.base); the health
        # check asks Redis itself, so an outage shows here.
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    if value != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_broker() -> str | None:
    """Connect to the broker with a short timeout. Eager mode has no broker to check."""
    from helpdesk_project.celery import app

    if app.conf.task_always_eager:
        return "eager (tasks run in-process)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2, interval_start=0, interval_step=0, interval_max=0)
    return None


# What every page links to (templates/base.html): if one of these cannot be served, no page works.
PAGE_ASSETS = ("vendor/bootstrap/bootstrap.min.css", "css/stockdesk.css", "css/chat.css", "js/chat.js")


def check_static() -> None:
    """The static files every page needs can be linked and served.

    With the production manifest storage, a file that ``collectstatic`` did not write makes
    ``url()`` raise, and with it every page that links to it (a 500); with the embedded storage
    the file must be found by the finders that whitenoise serves from.
    """
    for name in PAGE_ASSETS:
        staticfiles_storage.url(name)  # raises ValueError for a file missing from the manifest
        if not (staticfiles_storage.exists(name) or (settings.WHITENOISE_USE_FINDERS and finders.find(name))):
            raise FileNotFoundError(f"static file {name} is missing (run collectstatic)")


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker, "static": check_static}


def run_checks() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            note = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure
            logger.warning("Health check %s failed: %s", name, exc)
            healthy = False
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, **({"note": note} if note else {})}
    return healthy, results
