"""Fault: PostgreSQL restarts under load.

A throwaway cluster, a migrated database and a real gunicorn (psycopg pool on) on free
loopback ports. While the database is down, requests answer a clean 503 (a page, or JSON
under /api/) and never a traceback; once it is back the app recovers by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.support import PostgresCluster, free_port, port_open, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") or not PostgresCluster.available(),
        reason="runs in the PostgreSQL stage, with the server binaries installed",
    ),
]

PATHS = ["/shop/", "/api/v1/products/", "/accounts/login/"]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, str(exc)


@pytest.fixture
def app_on_throwaway_postgres():
    cluster = PostgresCluster().init()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.base",
        "DATABASE_URL": cluster.url,
        "DB_POOL": "true",
        "DB_CONNECT_TIMEOUT": "2",
        "DB_POOL_TIMEOUT": "3",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CHATBOT_WARM_UP": "0",  # no chat here: spare the CPU the engine build would take
    }
    # The server runs with production-like static files (hashed manifest), so collect them.
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env, check=True, timeout=300
        )
    port = free_port()
    log = (cluster.root / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "helpdesk_project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "30",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: port_open(port), timeout=30)
        yield cluster, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        print((cluster.root / "gunicorn.log").read_text()[-3000:])  # noqa: T201 - the server's log, on failure
        cluster.destroy()


def test_requests_during_a_restart_get_a_clean_503_and_the_app_recovers(app_on_throwaway_postgres):
    cluster, base = app_on_throwaway_postgres
    first = {path: _get(base + path) for path in PATHS}
    assert {path: status for path, (status, _) in first.items()} == dict.fromkeys(PATHS, 200), first

    # Load while the database goes down and comes back
    results: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            for path in PATHS:
                status, body = _get(base + path)
                results.append((path, status, body))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        cluster.stop()
        down_status, down_body = _get(base + "/api/v1/products/")
        health_status, health_body = _get(base + "/healthz")
        cluster.start()
        assert wait_for(lambda: all(_get(base + path)[0] == 200 for path in PATHS), timeout=60, interval=0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    # While it was down: clean 503s, with the database named by /healthz
    assert down_status == 503
    assert '"detail"' in down_body
    assert health_status == 503
    assert '"database"' in health_body
    statuses = {status for _, status, _ in results}
    assert statuses <= {200, 503}, statuses
    assert not [body for _, status, body in results if "Traceback" in body]
    assert any(status == 503 for _, status, _ in results)
