"""A real Celery worker on the Redis broker delivers outbox rows (CI's PostgreSQL + Redis stage)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts import tasks as account_tasks
from accounts.models import Notification
from tests.support import celery_worker, sent_mail_files, wait_for

from .conftest import DEAD_BROKER_URL, celery_publishing_to

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


@pytest.fixture
def worker(tmp_path):
    mail_dir = tmp_path / "worker-mail"
    with celery_worker(broker_url=settings.REDIS_URL, mail_dir=mail_dir):
        yield mail_dir


def _status(notification) -> str:
    return Notification.objects.get(pk=notification.pk).status


def test_worker_delivers_once(worker):
    with celery_publishing_to(settings.CELERY_BROKER_URL):
        notification = services.notify(
            channel="email", recipient="buyer@example.com", subject="Worker test", body="Hi", idempotency_key="worker:1"
        )
        assert wait_for(lambda: _status(notification) == Notification.Status.SENT)
        # A second enqueue of the same row (a duplicate message) sends nothing more
        assert account_tasks.enqueue_delivery(notification.pk) is True
        time.sleep(2)
    files = sent_mail_files(worker)
    assert len(files) == 1
    assert "Subject: Worker test" in files[0].read_text()


def test_row_stays_pending_while_broker_down_then_worker_delivers(worker):
    with celery_publishing_to(DEAD_BROKER_URL):
        notification = services.notify(
            channel="email", recipient="buyer@example.com", subject="Delayed", body="Hi", idempotency_key="worker:2"
        )
    assert _status(notification) == Notification.Status.PENDING

    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    with celery_publishing_to(settings.CELERY_BROKER_URL):
        assert account_tasks.redispatch_pending_notifications() == 1
        assert wait_for(lambda: _status(notification) == Notification.Status.SENT)
    assert len(sent_mail_files(worker)) == 1
