"""API rate limits in one Redis round trip: the same answers as DRF's own throttle."""

from __future__ import annotations

import shutil

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling as drf
from rest_framework.test import APIRequestFactory

from accounts import throttling
from accounts.cache import ResilientRedisCache

from .factories import CustomerFactory
from .test_cache import OPTIONS, _free_port, _start_redis

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def _hits(throttle_class, cache, clock, user, steps):
    """(allowed, wait) for each request, ``steps`` seconds apart, by a fresh throttle each time."""
    request = APIRequestFactory().get("/api/v1/orders/")
    request.user = user
    answers = []
    for step in steps:
        clock.now += step
        throttle = throttle_class()
        throttle.cache, throttle.timer, throttle.rate = cache, clock, "3/min"
        throttle.num_requests, throttle.duration = throttle.parse_rate("3/min")
        allowed = throttle.allow_request(request, view=None)
        answers.append((allowed, None if allowed else round(throttle.wait(), 6)))
    return answers


STEPS = [0, 1, 1, 1, 10, 30, 17, 0.5, 1, 0, 59, 0.25, 0.25, 120]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_redis_window_answers_what_drfs_throttle_answers():
    user = CustomerFactory()
    port = _free_port()
    server = _start_redis(port)
    try:
        redis_cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", OPTIONS)
        ours = _hits(throttling.UserRateThrottle, redis_cache, Clock(), user, STEPS)
        theirs = _hits(drf.UserRateThrottle, LocMemCache("throttle-test", {}), Clock(), user, STEPS)
        client = redis_cache._cache.get_client(write=True)
        window = client.zcard(redis_cache.make_and_validate_key(f"throttle_user_{user.pk}:window"))
    finally:
        server.kill()
        server.wait(timeout=10)

    assert ours == theirs
    assert [allowed for allowed, _wait in ours].count(False) >= 3  # the sequence does hit the limit
    assert window == 1  # 120 s later only the last request is in the window


def test_without_redis_drfs_own_code_runs_and_an_unreachable_redis_lets_requests_through():
    user = CustomerFactory()
    local = _hits(throttling.UserRateThrottle, LocMemCache("throttle-test-2", {}), Clock(), user, STEPS)
    assert local == _hits(drf.UserRateThrottle, LocMemCache("throttle-test-3", {}), Clock(), user, STEPS)

    down = ResilientRedisCache("redis://127.0.0.1:1/0", OPTIONS)
    assert _hits(throttling.UserRateThrottle, down, Clock(), user, [0] * 5) == [(True, None)] * 5
