"""The Redis cache (django-redis, as configured in settings.base) degrades to 'no cache' while
Redis is down and recovers by itself; the health check still sees the outage; rate limits limit."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
OPTIONS = {
    "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    "KEY_PREFIX": "test",
}
needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")


def _caches(location: str) -> dict:
    return {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, **OPTIONS}}


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


def test_the_scaled_settings_use_django_redis_ignoring_outages():
    import importlib
    import os

    from helpdesk_project.settings import base

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "REDIS_URL", "redis://127.0.0.1:6379/9")
        scaled = importlib.reload(base)
        try:
            assert scaled.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
            assert scaled.CACHES["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
        finally:
            patch.delitem(os.environ, "REDIS_URL")
            importlib.reload(base)
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"  # sessions never in Redis


def test_unreachable_redis_reads_miss_and_writes_are_dropped():
    cache = RedisCache(DEAD, OPTIONS)
    assert cache.set("k", "v") is None
    assert cache.get("k", "fallback") == "fallback"
    assert "k" not in cache.get_many(["k"])
    cache.delete("k")  # no error


@needs_redis_server
def test_cache_survives_a_redis_restart():
    port = _free_port()
    cache = RedisCache(f"redis://127.0.0.1:{port}/0", OPTIONS)
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
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.mark.django_db
def test_healthz_reports_the_cache_as_down_while_pages_keep_working(client):
    with override_settings(CACHES=_caches(DEAD)):
        response = client.get(reverse("healthz"))
        page = client.get(reverse("storefront:catalogue"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert page.status_code == 200


@pytest.mark.django_db
def test_api_keeps_answering_when_the_throttle_cache_is_down(customer):
    api = APIClient()
    api.force_authenticate(customer)
    with override_settings(CACHES=_caches(DEAD)):
        assert api.get("/api/v1/me/").status_code == 200


@needs_redis_server
@pytest.mark.django_db
def test_rate_limits_still_limit_on_redis(customer, settings):
    from rest_framework.settings import api_settings

    port = _free_port()
    server = _start_redis(port)
    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "3/min"}}
    api = APIClient()
    api.force_authenticate(customer)
    try:
        with override_settings(CACHES=_caches(f"redis://127.0.0.1:{port}/0"), REST_FRAMEWORK=rest):
            from rest_framework.throttling import SimpleRateThrottle

            # DRF reads its rates and cache when its classes are defined; point them at this test's.
            with pytest.MonkeyPatch.context() as patch:
                from django.core.cache import cache

                patch.setattr(SimpleRateThrottle, "cache", cache)
                patch.setattr(SimpleRateThrottle, "THROTTLE_RATES", api_settings.DEFAULT_THROTTLE_RATES)
                codes = [api.get("/api/v1/me/").status_code for _ in range(4)]
                retry_after = api.get("/api/v1/me/").headers.get("Retry-After")
    finally:
        server.kill()
        server.wait(timeout=10)
    assert codes == [200, 200, 200, 429]
    assert retry_after is not None
    assert 0 < int(retry_after) <= 60
