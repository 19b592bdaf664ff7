"""The outbox: notify() writes rows in the caller's transaction; delivery sends at most once."""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts import outbox, services
from accounts.models import Notification
from accounts.sms import LocMemSMSBackend
from accounts.tasks import deliver_notification, redispatch_pending_notifications

pytestmark = pytest.mark.django_db


def _notify(key: str = "test:1", **kwargs) -> Notification:
    params = {
        "channel": "email",
        "recipient": "someone@example.com",
        "subject": "Hello",
        "body": "Body text",
        "idempotency_key": key,
    }
    params.update(kwargs)
    return services.notify(**params)


def _age(notification: Notification, seconds: int = 120) -> None:
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_notify_enqueues_only_on_commit_and_delivers_once(django_capture_on_commit_callbacks):
    # Given a transaction that calls notify
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _notify()
        # Then nothing is sent before commit
        assert mail.outbox == []
        assert notification.status == Notification.Status.PENDING
    # When the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    # Then exactly one email went out and the row says so
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Hello"
    assert mail.outbox[0].to == ["someone@example.com"]


def test_delivery_task_run_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify()
    assert len(mail.outbox) == 1

    result = deliver_notification.apply(args=[notification.pk]).get()

    assert result == "skipped"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_redispatch_does_not_resend_delivered_rows(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify()
    _age(notification)

    assert redispatch_pending_notifications.apply().get() == 0
    assert len(mail.outbox) == 1


def test_redispatch_and_task_together_deliver_a_pending_row_once(django_capture_on_commit_callbacks):
    # Given a row whose enqueue was lost (commit callback never ran: broker down)
    with django_capture_on_commit_callbacks(execute=False):
        notification = _notify()
    _age(notification)
    # When both the periodic re-dispatch and a late original task run
    assert redispatch_pending_notifications.apply().get() == 1
    deliver_notification.apply(args=[notification.pk])
    # Then it was sent exactly once
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


def test_redispatch_leaves_fresh_rows_to_their_own_task(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _notify()
    assert redispatch_pending_notifications() == 0
    assert mail.outbox == []


def test_a_concurrent_claim_loses_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification = _notify()
    # Another worker holds the claim right now
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert outbox.notification_deliver(notification_id=notification.pk) is None
    assert mail.outbox == []


def test_an_expired_claim_is_taken_over(django_capture_on_commit_callbacks):
    # A worker died mid-delivery: its lease expired, so the row is delivered by the next one.
    with django_capture_on_commit_callbacks(execute=False):
        notification = _notify()
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    _age(notification)
    assert redispatch_pending_notifications() == 1
    assert len(mail.outbox) == 1


def test_rollback_leaves_no_row_and_sends_nothing(django_capture_on_commit_callbacks):
    def failing_use_case():
        with transaction.atomic():
            _notify()
            raise RuntimeError("use case failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_use_case()
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_same_idempotency_key_is_a_noop(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = _notify("order:7")
        second = _notify("order:7", subject="Different")
    assert first.pk == second.pk
    assert len(callbacks) == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("bad", [{"channel": "fax"}, {"recipient": ""}])
def test_notify_rejects_bad_input_and_writes_nothing(bad):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked below
        _notify(**bad)
    assert Notification.objects.count() == 0


def test_transient_failure_is_retried_later_then_sent(monkeypatch, django_capture_on_commit_callbacks):
    calls = {"n": 0}
    real_send = outbox.EmailMultiAlternatives.send

    def flaky_send(self, fail_silently=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("connection dropped")
        return real_send(self, fail_silently=fail_silently)

    monkeypatch.setattr(outbox.EmailMultiAlternatives, "send", flaky_send)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify()
    notification.refresh_from_db()
    # The first attempt failed: the row is pending with a due time and the error visible
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert "connection dropped" in notification.last_error
    assert notification.next_attempt_at > timezone.now()
    # Not due yet: the sweeper leaves it alone
    _age(notification)
    assert redispatch_pending_notifications() == 0
    # Once due, it is delivered exactly once
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert redispatch_pending_notifications() == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2
    assert len(mail.outbox) == 1


def test_final_failure_is_marked_visibly(monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2

    def always_down(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("server down")

    monkeypatch.setattr(outbox.EmailMultiAlternatives, "send", always_down)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify()
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    deliver_notification.apply(args=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 2
    assert notification.last_error == "SMTPServerDisconnected: server down"


def test_refused_recipient_fails_at_once(monkeypatch, django_capture_on_commit_callbacks):
    def refused(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"someone@example.com": (550, b"no such user")})

    monkeypatch.setattr(outbox.EmailMultiAlternatives, "send", refused)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1


def test_failed_rows_can_be_retried_by_ops(monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification = _notify()
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_retry_failed(notification_ids=[notification.pk]) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_sms_goes_through_the_sms_backend(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(
            channel="sms", recipient="+31612345678", body="Your order shipped", idempotency_key="sms:1"
        )
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert LocMemSMSBackend.outbox == [
        {"id": LocMemSMSBackend.outbox[0]["id"], "to": "+31612345678", "body": "Your order shipped"}
    ]
    assert mail.outbox == []


def test_html_part_escapes_user_text(django_capture_on_commit_callbacks):
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    with django_capture_on_commit_callbacks(execute=True):
        _notify(body=f"Customer wrote: {payload}")
    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html


def test_purge_keeps_failed_and_recent_rows(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = _notify("old")
        _notify("recent")
    failed = _notify("failed")
    Notification.objects.filter(pk=failed.pk).update(status=Notification.Status.FAILED)
    Notification.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=91))
    assert outbox.notifications_purge_sent() == 1
    assert set(Notification.objects.values_list("idempotency_key", flat=True)) == {"recent", "failed"}


def test_message_id_is_stable_per_notification(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification = _notify("stable:1")
    outbox.notification_deliver(notification_id=notification.pk)
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.PENDING, sent_at=None)
    outbox.notification_deliver(notification_id=notification.pk)
    first, second = (m.extra_headers["Message-ID"] for m in mail.outbox)
    assert first == second == outbox.notification_message_id(notification)
    assert first.endswith("@stockdesk.local>")


def test_the_written_email_is_multipart_with_a_fresh_boundary_and_parses_back(django_capture_on_commit_callbacks):
    from email import message_from_bytes, policy

    # A body line that looks like Python's own boundaries must not cut the message.
    tricky = "Order total\n--===============1234567890123456789==\nthanks"
    with django_capture_on_commit_callbacks(execute=True):
        _notify("mime:1", body=tricky)
        _notify("mime:2", body="second")
    written = [m.message().as_bytes() for m in mail.outbox]
    boundaries = []
    for raw in written:
        parsed = message_from_bytes(raw, policy=policy.default)
        assert parsed.get_content_type() == "multipart/alternative"
        boundaries.append(parsed.get_boundary())
        text, html = parsed.get_payload()
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert parsed.get_boundary().startswith("===============")
    assert message_from_bytes(written[0], policy=policy.default).get_payload()[0].get_content() == tricky
    assert boundaries[0] != boundaries[1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked, reason="concurrent claims need row locks"
)
def test_two_workers_delivering_the_same_rows_at_once_send_each_once():
    # Given 40 pending rows, and two workers that each try to deliver all of them at once
    with transaction.atomic():
        ids = [_notify(f"race:{i}").pk for i in range(40)]
    mail.outbox.clear()
    Notification.objects.update(status=Notification.Status.PENDING, sent_at=None, attempts=0)
    errors = []
    start = threading.Barrier(2)

    def deliver(order):
        try:
            start.wait(timeout=10)
            for pk in order:
                outbox.notification_deliver(notification_id=pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(order,)) for order in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then every row went out exactly once, claimed once
    assert errors == []
    sent = [m.extra_headers["X-StockDesk-Notification"] for m in mail.outbox]
    assert sorted(sent) == sorted(str(pk) for pk in ids)
    assert Notification.objects.filter(status=Notification.Status.SENT, attempts=1).count() == 40
