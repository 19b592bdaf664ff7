"""Batch delivery: one drain sends every due row over one mail connection, and a committed row
publishes a drain only when none is queued (the flag in the broker's Redis)."""

from __future__ import annotations

import shutil
import smtplib
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocMemBackend
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import drain_flag, services
from accounts.models import Notification
from accounts.tasks import deliver_pending_notifications
from tests.support import RedisServer

from .conftest import DEAD_BROKER_URL, celery_publishing_to

pytestmark = pytest.mark.django_db


class CountingBackend(LocMemBackend):
    """The test mail backend, counting how many connections delivery made."""

    made = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountingBackend.made += 1


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.made = 0
    return CountingBackend


def _pending(count: int, prefix: str = "batch") -> list[Notification]:
    """Rows as committed by orders, their own delivery not run (no on-commit hook)."""
    with transaction.atomic():
        return [
            services.notify(
                channel="email",
                recipient=f"c{i}@example.com",
                subject=f"Order {i}",
                body="Thanks",
                idempotency_key=f"{prefix}:{i}",
            )
            for i in range(count)
        ]


@pytest.fixture
def no_dispatch(monkeypatch):
    """Commit rows without their after-commit dispatch, as if the broker had not run them yet."""
    monkeypatch.setattr(services, "notification_dispatch", lambda **kwargs: False)


def test_drain_sends_every_due_row_once_over_one_connection(no_dispatch, counting_backend):
    due = _pending(5)
    later = _pending(1, "later")[0]
    Notification.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    sent_before = _pending(1, "sent")[0]
    Notification.objects.filter(pk=sent_before.pk).update(status=Notification.Status.SENT, sent_at=timezone.now())
    claimed = _pending(1, "claimed")[0]
    Notification.objects.filter(pk=claimed.pk).update(
        status=Notification.Status.SENDING, claimed_until=timezone.now() + timedelta(minutes=5)
    )

    assert deliver_pending_notifications.apply().get() == 5

    assert sorted(m.subject for m in mail.outbox) == [f"Order {i}" for i in range(5)]
    assert counting_backend.made == 1
    assert set(Notification.objects.filter(status=Notification.Status.SENT).values_list("pk", flat=True)) == {
        *(n.pk for n in due),
        sent_before.pk,
    }
    assert Notification.objects.filter(pk__in=[n.pk for n in due], attempts=1).count() == 5
    # Not due, already sent, or claimed by a live worker: untouched
    later.refresh_from_db()
    claimed.refresh_from_db()
    assert (later.status, later.attempts) == (Notification.Status.PENDING, 0)
    assert (claimed.status, claimed.attempts) == (Notification.Status.SENDING, 0)
    # Run again: nothing left to send
    assert services.notifications_deliver_due() == 0
    assert len(mail.outbox) == 5


def test_drain_takes_a_stale_claim_of_a_dead_worker(no_dispatch):
    row = _pending(1)[0]
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.notifications_deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 2)


@pytest.mark.skipif(
    not connection.features.can_return_columns_from_insert, reason="batch claims need UPDATE ... RETURNING"
)
def test_drain_claims_a_batch_in_one_statement(no_dispatch):
    _pending(5)
    with CaptureQueriesContext(connection) as queries:
        assert services.notifications_deliver_due(batch_size=2) == 5
    statements = [q["sql"] for q in queries.captured_queries]
    claims = [sql for sql in statements if "attempts = attempts + 1" in sql]
    # 2 + 2 + 1 rows, then an empty claim; and one "sent" update per row
    assert len(claims) == 4
    assert len(statements) == 4 + 5


def test_a_failed_row_is_recorded_and_the_rest_still_go_out(no_dispatch, monkeypatch, counting_backend):
    rows = _pending(4)
    real_send = services.EmailMultiAlternatives.send

    def send(message, fail_silently=False):
        if message.subject == "Order 1":
            raise smtplib.SMTPServerDisconnected("connection dropped")
        if message.subject == "Order 2":
            raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return real_send(message, fail_silently=fail_silently)

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", send)

    assert services.notifications_deliver_due() == 2

    assert sorted(m.subject for m in mail.outbox) == ["Order 0", "Order 3"]
    status = dict(Notification.objects.values_list("pk", "status"))
    assert [status[n.pk] for n in rows] == ["sent", "pending", "failed", "sent"]
    retry = Notification.objects.get(pk=rows[1].pk)
    assert retry.next_attempt_at > timezone.now()
    assert "connection dropped" in retry.last_error
    # The connection that failed is not reused for the next email
    assert counting_backend.made == 2


def test_batches_fit_the_lease_and_a_row_near_its_lease_end_is_left_for_later(no_dispatch, settings, monkeypatch):
    # A 10 s mail timeout and a 5-minute lease: batches of 15 (15 sends of 20 s each fit)
    settings.EMAIL_TIMEOUT = 10
    settings.NOTIFICATION_CLAIM_SECONDS = 300
    _pending(16)
    with CaptureQueriesContext(connection) as queries:
        assert services.notifications_deliver_due() == 16
    claims = [q["sql"] for q in queries.captured_queries if "attempts = attempts + 1" in q["sql"]]
    if connection.features.can_return_columns_from_insert:
        assert len(claims) == 3  # 15 + 1, then none left

    # A 2 s lease and a mail server so slow that the first send uses most of it
    settings.NOTIFICATION_CLAIM_SECONDS = 2
    rows = _pending(3, "slow")
    real_send = services.EmailMultiAlternatives.send

    def slow_send(message, fail_silently=False):
        if message.subject == "Order 0":
            time.sleep(1.2)
        return real_send(message, fail_silently=fail_silently)

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", slow_send)
    assert services.notifications_deliver_due(batch_size=3) == 1
    # The other two were not sent this late in their lease: still claimed, not sent twice later
    assert Notification.objects.filter(pk__in=[n.pk for n in rows[1:]], status=Notification.Status.SENDING).count() == 2
    assert services.notifications_deliver_due(batch_size=3) == 0  # their lease has not ended yet
    time.sleep(1)
    assert services.notifications_deliver_due(batch_size=3) == 2
    subjects = [m.subject for m in mail.outbox[16:]]
    assert sorted(subjects) == ["Order 0", "Order 1", "Order 2"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked, reason="concurrent drains need row locks"
)
def test_two_drains_at_once_send_each_row_once(no_dispatch):
    _pending(60)
    results, errors = [], []
    start = threading.Barrier(2)

    def drain():
        try:
            start.wait(timeout=10)
            results.append(services.notifications_deliver_due(batch_size=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 60
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == len(set(ids)) == 60
    assert Notification.objects.filter(status=Notification.Status.SENT, attempts=1).count() == 60


# --- The "drain queued" flag, against a private redis-server ---------------------------------

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a redis-server binary")


@pytest.fixture
def broker():
    server = RedisServer().start()
    try:
        with celery_publishing_to(server.url):
            yield drain_flag.client()
    finally:
        server.stop()


def _queued(redis_client) -> int:
    return redis_client.llen("notifications")


@needs_redis_server
def test_committed_rows_publish_one_drain_until_it_starts(broker, django_capture_on_commit_callbacks):
    # Given three rows committed in one transaction
    with django_capture_on_commit_callbacks(execute=True):
        _pending(3)
    # Then one drain is queued, not three tasks
    assert _queued(broker) == 1
    assert broker.exists(drain_flag.KEY)
    # And more rows while it is queued publish nothing
    with django_capture_on_commit_callbacks(execute=True):
        _pending(2, "more")
    assert _queued(broker) == 1
    # When the drain runs (here, in this process), it clears the flag first and sends all five
    assert services.notifications_deliver_due() == 5
    assert not broker.exists(drain_flag.KEY)
    # Then the next row publishes a new drain
    with django_capture_on_commit_callbacks(execute=True):
        _pending(1, "next")
    assert _queued(broker) == 2


@needs_redis_server
def test_a_lost_drain_holds_rows_back_only_until_the_flag_expires(broker, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_DRAIN_FLAG_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        _pending(1)
    broker.delete("notifications")  # the queued drain is lost; its flag remains
    time.sleep(1.2)
    with django_capture_on_commit_callbacks(execute=True):
        _pending(1, "after")
    assert _queued(broker) == 1


def test_broker_down_leaves_rows_pending_without_delay(django_capture_on_commit_callbacks):
    with celery_publishing_to(DEAD_BROKER_URL):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            rows = _pending(2)
        assert services.notifications_kick() is False
        elapsed = time.monotonic() - started
    assert elapsed < 2
    assert Notification.objects.filter(pk__in=[n.pk for n in rows], status=Notification.Status.PENDING).count() == 2
    # The periodic re-dispatch sends them once the broker is back (eager here)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert services.notifications_redispatch() == 2
    assert len(mail.outbox) == 2


def test_eager_mode_and_other_brokers_deliver_each_row_at_commit(django_capture_on_commit_callbacks):
    # The embedded default: no flag, each row is delivered by its own (eager) task at commit
    assert drain_flag.client() is None
    with django_capture_on_commit_callbacks(execute=True):
        _pending(2)
    assert len(mail.outbox) == 2
    assert settings.CELERY_TASK_ALWAYS_EAGER


# --- Over SMTP: a batch is one connection ------------------------------------------------------


class SMTPSink:
    """A minimal SMTP server on a free loopback port (the mail provider, faked): counts connections
    and the messages each one carried."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sessions: list[int] = []  # messages per connection
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:
                self.sessions.append(0)
                conn.sendall(b"220 sink ESMTP\r\n")
                for line in reader:
                    command = line.strip().upper()
                    if command.startswith((b"EHLO", b"HELO")):
                        conn.sendall(b"250 sink\r\n")
                    elif command == b"DATA":
                        conn.sendall(b"354 go on\r\n")
                        for data in reader:
                            if data in (b".\r\n", b".\n"):
                                break
                        self.sessions[-1] += 1
                        conn.sendall(b"250 queued\r\n")
                    elif command == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def smtp_sink(settings):
    sink = SMTPSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.close()


def test_a_batch_goes_out_over_one_smtp_connection(no_dispatch, smtp_sink):
    _pending(7)
    assert services.notifications_deliver_due(batch_size=3) == 7
    # 3 + 3 + 1 emails, one connection per batch (one row at a time: a connection each)
    assert smtp_sink.sessions == [3, 3, 1]
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 7
    # The single-row task still opens its own
    row = _pending(1, "single")[0]
    services.notification_deliver(notification_id=row.pk)
    assert smtp_sink.sessions == [3, 3, 1, 1]
