"""A Redis cache that degrades instead of failing when Redis is unreachable.

StockDesk uses the cache for speed and for API rate limits, never as the only copy of
anything. So when Redis is down a request should carry on without it: reads miss, writes
are dropped, and a short circuit breaker stops every call from paying the connect timeout
again until Redis has had a few seconds to come back. Rate limits fail open meanwhile (a
brief outage must not lock every customer out); /healthz reports the cache as down.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every command; this keeps one per server.

    Building one costs about 0.4 ms (it fills a table of several hundred response callbacks),
    which was most of the time a cached page took. A ``redis.Redis`` is safe to share between
    threads: each command takes its own connection from the (shared) pool.
    """

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class ResilientRedisCache(RedisCache):
    retry_after_seconds = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._rate_scripts: dict[int, object] = {}

    @property
    def is_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _guard(self, method: str, default, *args, **kwargs):
        if not self.is_available:
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except UNAVAILABLE as exc:
            self._trip(exc)
            return default

    def _trip(self, exc: Exception) -> None:
        with self._lock:
            if self.is_available:
                logger.warning(
                    "Redis cache unreachable (%s); working without it for %ss", exc, self.retry_after_seconds
                )
            self._down_until = time.monotonic() + self.retry_after_seconds

    def incr_or_set_many(self, keys: list[str], value: int, version=None) -> None:
        """Each key + 1 if it exists, else ``value`` + 1 (kept forever); all keys in one round trip.

        For version counters: the result differs from every number the key held before, as
        long as ``value`` is a number never used (a time in ns). Django's ``incr`` is an
        ``EXISTS`` and an ``INCR`` (two round trips per key) and fails on a missing key. Dropped
        while Redis is unreachable, like every other write.
        """
        if not self.is_available:
            return
        try:
            pipe = self._cache.get_client(write=True).pipeline(transaction=False)
            for key in keys:
                key = self.make_and_validate_key(key, version=version)
                pipe.set(key, value, nx=True)
                pipe.incr(key)
            pipe.execute()
        except UNAVAILABLE as exc:
            self._trip(exc)

    # One request against a sliding-window rate limit (see ``accounts/throttling.py``): drop the
    # times older than the window, refuse at the limit, else record this one. Times are scores of
    # a sorted set; ``ARGV[4]`` makes each member unique. Lua numbers would be truncated to
    # integers on the way back, so times go back as strings.
    _RATE_SCRIPT = """
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
    local count = redis.call('ZCARD', KEYS[1])
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
    if count >= tonumber(ARGV[3]) then
        return {0, count, oldest}
    end
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return {1, count + 1, oldest}
    """

    def rate_limit_hit(self, key: str, *, now: float, window: int, limit: int, request_id: str):
        """Count a request against at most ``limit`` in any ``window`` seconds, in one round trip.

        Returns ``(allowed, requests in the window, time of the oldest)`` (a refused request is
        not counted), or None while Redis is unreachable.
        """
        if not self.is_available:
            return None
        try:
            client = self._cache.get_client(write=True)
            script = self._rate_scripts.get(id(client))
            if script is None:
                script = self._rate_scripts.setdefault(id(client), client.register_script(self._RATE_SCRIPT))
            allowed, count, oldest = script(
                keys=[self.make_and_validate_key(key)], args=[repr(now), window, limit, request_id], client=client
            )
        except UNAVAILABLE as exc:
            self._trip(exc)
            return None
        return bool(allowed), int(count), float(oldest)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, keys, version)

    def set(self, key, value, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._guard("set", None, key, value, **kwargs)

    def add(self, key, value, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._guard("add", False, key, value, **kwargs)

    def set_many(self, data, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._guard("set_many", list(data), data, **kwargs)

    def delete(self, key, version=None):
        return self._guard("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, keys, version)

    def touch(self, key, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._guard("touch", False, key, **kwargs)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        # A missing counter is what incr reports for an absent key.
        result = self._guard("incr", None, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def clear(self):
        return self._guard("clear", False)
