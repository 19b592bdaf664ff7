"""A real Celery worker on the Redis broker delivers outbox rows (CI's PostgreSQL + Redis stage)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.models import Notification

from .conftest import DEAD_BROKER_URL, celery_publishing_to

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """A real worker process consuming the notifications queue of the test database."""
    mail_dir = tmp_path / "worker-mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.base",
        "DATABASE_URL": _database_url(),
        "DB_POOL": "false",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    env.pop("EMAIL_URL", None)
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk_project",
            "worker",
            "-Q",
            "notifications,default",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _sent_files(mail_dir: Path) -> list[Path]:
    return sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []


def test_worker_delivers_once(worker):
    with celery_publishing_to(settings.CELERY_BROKER_URL):
        notification = services.notify(
            channel="email", recipient="buyer@example.com", subject="Worker test", body="Hi", idempotency_key="worker:1"
        )
        assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == Notification.Status.SENT)
        # A second enqueue of the same row (a duplicate message) sends nothing more
        assert services.notification_enqueue(notification_id=notification.pk) is True
        time.sleep(2)
    files = _sent_files(worker)
    assert len(files) == 1
    assert "Subject: Worker test" in files[0].read_text()


def test_row_stays_pending_while_broker_down_then_worker_delivers(worker):
    with celery_publishing_to(DEAD_BROKER_URL):
        notification = services.notify(
            channel="email", recipient="buyer@example.com", subject="Delayed", body="Hi", idempotency_key="worker:2"
        )
    assert Notification.objects.get(pk=notification.pk).status == Notification.Status.PENDING

    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    with celery_publishing_to(settings.CELERY_BROKER_URL):
        assert services.notifications_redispatch() == 1
        assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == Notification.Status.SENT)
    assert len(_sent_files(worker)) == 1
