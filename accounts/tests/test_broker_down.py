"""A broker that is down at commit time must not fail or hang the request, nor lose the message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import tasks as account_tasks
from accounts.models import Notification

from .conftest import DEAD_BROKER_URL, celery_publishing_to

pytestmark = pytest.mark.django_db


def test_request_succeeds_with_broker_down_and_row_is_delivered_later(
    client, customer, django_capture_on_commit_callbacks
):
    # Given the broker is unreachable when the request's transaction commits
    with celery_publishing_to(DEAD_BROKER_URL), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:password_reset"), {"email": customer.email})

    # Then the request still succeeds, the enqueue was attempted and failed softly
    assert response.status_code == 302
    assert len(callbacks) == 1
    notification = Notification.objects.get()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 0
    assert mail.outbox == []

    # When the broker is back (eager here) and the periodic re-dispatch runs a minute later
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert account_tasks.redispatch_pending_notifications() == 1
    assert account_tasks.redispatch_pending_notifications() == 0

    # Then the message is delivered exactly once
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    assert "reset" in mail.outbox[0].subject.lower()


def test_enqueue_reports_failure_instead_of_raising(broker_down):
    assert account_tasks.enqueue_delivery(123456) is False
