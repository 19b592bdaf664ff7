"""Fault: a Celery worker is killed with SIGKILL in the middle of deliveries.

A throwaway redis-server and two real worker processes. The first worker dies mid-batch;
after a second one starts (and the periodic re-dispatch has run), every notification has
been delivered, none lost. A message the dead worker had already handed to the mail
server but not yet marked sent goes out again with the same Message-ID, so each
notification reaches its recipient as one message.
"""

from __future__ import annotations

import os
import shutil
import signal
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import outbox, services
from accounts import tasks as account_tasks
from accounts.models import Notification
from accounts.tests.conftest import celery_publishing_to
from tests.support import RedisServer, celery_worker, sent_message_ids, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") or shutil.which("redis-server") is None,
        reason="needs PostgreSQL (the workers share the test database) and a redis-server binary",
    ),
]

COUNT = 150


def test_killed_worker_loses_nothing(tmp_path):
    redis = RedisServer().start()
    mail_dir = tmp_path / "mail"
    worker_env = {"NOTIFICATION_CLAIM_SECONDS": "3"}  # a dead worker's claim expires quickly
    try:
        with celery_publishing_to(redis.url):
            with transaction.atomic():
                for i in range(COUNT):
                    services.notify(
                        channel="email",
                        recipient=f"c{i}@example.com",
                        subject=f"Order {i}",
                        body="Thanks",
                        idempotency_key=f"kill-test:{i}",
                    )
            # Given a worker that is killed in the middle of the batch
            with celery_worker(broker_url=redis.url, mail_dir=mail_dir, extra_env=worker_env) as first:
                assert wait_for(lambda: len(sent_message_ids(mail_dir)) >= 20, timeout=60, interval=0.02)
                os.kill(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            delivered_before = Notification.objects.filter(status=Notification.Status.SENT).count()
            assert delivered_before < COUNT, "the worker finished before it was killed; nothing was tested"

            # When a new worker starts and the periodic re-dispatch runs
            with celery_worker(broker_url=redis.url, mail_dir=mail_dir, extra_env=worker_env):

                def all_sent() -> bool:
                    Notification.objects.exclude(status=Notification.Status.SENT).update(
                        created_at=timezone.now() - timedelta(minutes=2)
                    )
                    account_tasks.redispatch_pending_notifications()
                    return not Notification.objects.exclude(status=Notification.Status.SENT).exists()

                assert wait_for(all_sent, timeout=120, interval=1)
    finally:
        redis.stop()

    # Then none is lost, and each notification is one message (one Message-ID)
    ids = sent_message_ids(mail_dir)
    expected = {outbox.notification_message_id(n) for n in Notification.objects.all()}
    assert set(ids) == expected
    assert len(expected) == COUNT
    print(  # noqa: T201 - a figure for the CI log
        f"killed after {delivered_before} of {COUNT}; {len(ids)} sends for {COUNT} messages "
        f"({len(ids) - COUNT} re-sent with the same Message-ID)"
    )
