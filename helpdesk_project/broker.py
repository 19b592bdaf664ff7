"""kombu's Redis transport, with one Redis client per channel instead of one per message.

kombu's Redis channel publishes through ``conn_or_acquire()``, which builds a new ``redis.Redis``
for every message (and for every queue-size or binding call). Building one fills a table of
several hundred response callbacks: about a quarter of the CPU of a Celery publish, paid after
every order. The client holds no connection of its own (each command borrows one from the
channel's pool), so one client per channel, built again whenever the channel's pool is
replaced (after a disconnect), sends the same commands over the same pool.

Selected in settings (``CELERY_BROKER_TRANSPORT``) for ``redis://`` broker URLs only.
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client = None
    _sync_client_pool = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        pool = self.pool  # a new pool after a disconnect: build a client on it
        if self._sync_client is None or self._sync_client_pool is not pool:
            self._sync_client, self._sync_client_pool = self._create_client(), pool
        yield self._sync_client


class Transport(kombu_redis.Transport):
    Channel = Channel
