"""Fault: Redis (cache and broker) stops while customers order and raise tickets.

Runs against its own throwaway redis-server and a real Celery worker, never the machine's
shared Redis. Requests must keep succeeding (the outbox keeps every message as a pending
row), and once Redis is back each message is delivered exactly once.
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import outbox
from accounts import tasks as account_tasks
from accounts.models import Notification
from accounts.tests.conftest import celery_publishing_to
from inventory.tests.factories import ProductFactory, with_stock
from tests.support import RedisServer, celery_worker, sent_message_ids, wait_for
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") or shutil.which("redis-server") is None,
        reason="needs PostgreSQL (the worker shares the test database) and a redis-server binary",
    ),
]

ORDER = {
    "delivery_name": "Casey",
    "delivery_address": "1 Main Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "pickup",
}


def test_requests_succeed_while_redis_is_down_and_every_message_arrives_once(
    tmp_path, settings, customer, store, agent
):
    sla_policies()
    queue = QueueFactory(agents=[agent])
    product = with_stock(ProductFactory(store=store, price="12.50", reorder_point=0), 50)
    redis = RedisServer().start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    mail_dir = tmp_path / "mail"
    api = APIClient()
    api.force_authenticate(customer)
    try:
        with celery_publishing_to(redis.url), celery_worker(broker_url=redis.url, mail_dir=mail_dir):
            # Given Redis goes away
            redis.stop()
            # When customers keep ordering and raising tickets
            durations = []
            for i in range(3):
                started = time.monotonic()
                order = api.post(
                    "/api/v1/orders/",
                    {**ORDER, "items": [{"product": product.pk, "quantity": 1, "unit_price": "12.50"}]},
                    format="json",
                )
                ticket = api.post(
                    "/api/v1/tickets/",
                    {"queue": queue.pk, "subject": f"Outage {i}", "description": "Hello"},
                    format="json",
                )
                durations.append(time.monotonic() - started)
                # Then every request still succeeds
                assert (order.status_code, ticket.status_code) == (201, 201)
            expected = Notification.objects.count()
            assert expected >= 9  # order confirmations, ticket confirmations, assignments
            assert Notification.objects.filter(status=Notification.Status.PENDING).count() == expected
            print(f"request pairs during the outage took {', '.join(f'{d:.2f}s' for d in durations)}")  # noqa: T201 - a figure for the CI log

            # When Redis is back and the periodic re-dispatch runs a minute later
            redis.start()
            Notification.objects.update(created_at=timezone.now() - timedelta(minutes=2))

            def all_sent() -> bool:
                account_tasks.redispatch_pending_notifications()
                return not Notification.objects.exclude(status=Notification.Status.SENT).exists()

            assert wait_for(all_sent, timeout=90, interval=1)
            time.sleep(2)  # let any duplicate message reach the worker before counting
    finally:
        redis.stop()
    # Then each message was delivered exactly once
    ids = sent_message_ids(mail_dir)
    assert len(ids) == expected
    assert set(ids) == {outbox.notification_message_id(n) for n in Notification.objects.all()}
    assert Notification.objects.filter(status=Notification.Status.SENT, attempts=1).count() == expected
