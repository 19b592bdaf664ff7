"""'A batch delivery is queued': one key in the broker's Redis, so an order publishes no task of its own.

Without it every outbox row costs a Celery publish in the web request and a task in the worker
(receive, decode, acknowledge, log), about a fifth of an order's CPU across the processes. With it
(``services.notification_dispatch``), the first row committed after a drain has started sets the
flag with ``SET NX`` and publishes one ``deliver_pending_notifications``; rows committed while the
flag is set publish nothing, because the drain clears the flag *before* it reads the due rows, so
it will see them (they committed before the flag was found set). A drain whose message is lost
cannot hold deliveries back for long: the flag expires after ``NOTIFICATION_DRAIN_FLAG_SECONDS``
and the periodic re-dispatch still sends what is left.

The key lives in the broker's Redis, not in Django's cache: flag and queue share one fate (a
Redis restart that drops the queued drain drops the flag too), and a flag set for another broker
can never hold this one's deliveries back. Brokers other than Redis, and eager mode (embedded
StockDesk, tests), have no flag: ``client()`` answers ``None`` and each row is enqueued on its own.
"""

from __future__ import annotations

import contextlib
import threading

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpdesk_project.celery import app as celery_app

KEY = "stockdesk:outbox:drain-queued"

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def client() -> redis.Redis | None:
    """A client for the broker's Redis, or ``None`` when tasks are not published to Redis."""
    conf = celery_app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    found = _clients.get(url)
    if found is None:
        with _lock:
            found = _clients.get(url)
            if found is None:
                # Fail fast: a broker that is down must not hold up the request that committed
                # the row (the row stays pending for the re-dispatch). One immediate retry, for a
                # pooled connection that a Redis restart left stale.
                found = redis.Redis.from_url(
                    url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 1)
                )
                _clients[url] = found
    return found


def set_if_absent(redis_client: redis.Redis) -> bool:
    """True if this call set the flag (so the caller must publish a drain); raises ``RedisError``."""
    return bool(redis_client.set(KEY, "1", nx=True, ex=settings.NOTIFICATION_DRAIN_FLAG_SECONDS))


def clear(redis_client: redis.Redis | None = None) -> None:
    """Called by a drain before it reads the due rows; a failure is harmless (the flag expires)."""
    redis_client = redis_client or client()
    if redis_client is None:
        return
    with contextlib.suppress(redis.RedisError):
        redis_client.delete(KEY)


def reset_clients() -> None:
    """Forget the clients (tests that switch brokers)."""
    with _lock:
        for found in _clients.values():
            found.close()
        _clients.clear()
