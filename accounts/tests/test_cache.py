"""The Redis cache degrades to 'no cache' while Redis is down, and recovers by itself."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from accounts import health
from accounts.cache import ResilientRedisCache

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def test_unreachable_redis_reads_miss_and_writes_are_dropped():
    cache = ResilientRedisCache("redis://127.0.0.1:1/0", OPTIONS)
    assert cache.set("k", "v") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", "v") is False
    assert cache.get_many(["k"]) == {}
    assert not cache.is_available
    with pytest.raises(ValueError, match="unavailable"):
        cache.incr("counter")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_cache_survives_a_redis_restart():
    port = _free_port()
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", OPTIONS)
    cache.retry_after_seconds = 0
    server = _start_redis(port)
    try:
        cache.set("k", "v")
        assert cache.get("k") == "v"
        server.terminate()
        server.wait(timeout=10)
        assert cache.get("k", "miss") == "miss"
        assert cache.set("k2", "v2") is None
        server = _start_redis(port)
        cache.set("k3", "back")
        assert cache.get("k3") == "back"
        assert cache.is_available
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.mark.django_db
def test_healthz_reports_the_resilient_cache_as_down(client, monkeypatch):
    monkeypatch.setattr(health, "cache", ResilientRedisCache("redis://127.0.0.1:1/0", OPTIONS))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


@pytest.mark.django_db
def test_api_keeps_answering_when_the_throttle_cache_is_down(customer, monkeypatch):
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "cache", ResilientRedisCache("redis://127.0.0.1:1/0", OPTIONS))
    api = APIClient()
    api.force_authenticate(customer)
    assert api.get("/api/v1/me/").status_code == 200


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_incr_or_set_many_counts_up_or_starts_every_key_in_one_round_trip(monkeypatch):
    from redis.client import Pipeline

    port = _free_port()
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", OPTIONS)
    server = _start_redis(port)
    try:
        cache.set("seen", 41, timeout=None)
        executed = []
        original = Pipeline.execute
        monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **kw: executed.append(1) or original(self, *a, **kw))

        cache.incr_or_set_many(["seen", "new"], 1000)

        assert executed == [1]
        assert cache.get_many(["seen", "new"]) == {"seen": 42, "new": 1001}
        client = cache._cache.get_client(write=True)
        assert client.ttl(cache.make_and_validate_key("new")) == -1  # version numbers never expire
        server.terminate()
        server.wait(timeout=10)
        cache.incr_or_set_many(["seen"], 2000)  # dropped, not raised
        assert not cache.is_available
    finally:
        server.kill()
        server.wait(timeout=10)


def test_storefront_bumps_go_through_incr_or_set_many_on_redis(monkeypatch):
    from inventory import storefront_cache

    calls = []

    class FakeRedisCache:
        def incr_or_set_many(self, keys, value):
            calls.append((keys, value))

    monkeypatch.setattr(storefront_cache, "cache", FakeRedisCache())
    storefront_cache._bump(["a", "b"])

    [(keys, value)] = calls
    assert keys == ["a", "b"]
    assert value > 0
