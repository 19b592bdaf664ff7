"""DRF's API rate limits, checked in one Redis round trip instead of two.

DRF's ``SimpleRateThrottle`` keeps each client's request times as a pickled list in the cache:
a ``get`` and a ``set`` per request, and the list is unpickled and pickled again each time (up
to the limit's length). Here the same sliding window lives in a Redis sorted set that a short
script trims, counts and appends to in one round trip. Same limits and answers as DRF: at most
``N`` requests in any period, a refused request is not counted, and ``wait()`` (the 429's
``Retry-After``) is DRF's formula. Atomic too, where DRF's get-then-set lets two concurrent
requests both take the last place.

Elsewhere (the local-memory cache of embedded mode and tests) DRF's own code runs. While Redis is
unreachable requests are let through, as the resilient cache already made DRF's throttle do.
"""

from __future__ import annotations

import os

from rest_framework import throttling


class _OneRoundTrip:
    def allow_request(self, request, view):
        rate_limit_hit = getattr(self.cache, "rate_limit_hit", None)
        if rate_limit_hit is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        # Not DRF's key: that one holds a pickled list (a rolling deploy must not read it as a set).
        result = rate_limit_hit(
            f"{self.key}:window",
            now=self.now,
            window=self.duration,
            limit=self.num_requests,
            request_id=f"{self.now!r}:{os.urandom(6).hex()}",
        )
        if result is None:
            return True
        allowed, self._window_count, self._window_oldest = result
        self.history = None  # DRF's list is not read here; wait() uses the window's figures
        return allowed

    def wait(self):
        if getattr(self, "history", ()) is not None:
            return super().wait()
        # DRF's formula, with the window's count and oldest time for its list.
        remaining_duration = self.duration - (self.now - self._window_oldest) if self._window_count else self.duration
        available_requests = self.num_requests - self._window_count + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class AnonRateThrottle(_OneRoundTrip, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_OneRoundTrip, throttling.UserRateThrottle):
    pass
