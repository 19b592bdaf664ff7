"""Write use cases for accounts, and the outbox: the one way StockDesk sends a message."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import time
from contextlib import nullcontext
from datetime import timedelta

import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import drain_flag
from .models import Notification, Role, User
from .rawsql import ModelColumns, ModelInsert
from .sms import SMSPermanentError, SMSTransientError, get_sms_backend

logger = logging.getLogger(__name__)


# --- Users ------------------------------------------------------------------------


@transaction.atomic
def user_register_customer(
    *, email: str, password: str, name: str = "", phone: str = "", sms_opt_in: bool = False
) -> User:
    """Create a customer account. The caller has validated the input (see SignUpForm)."""
    user = User.objects.create_user(email=email, password=password, name=name, phone=phone, sms_opt_in=sms_opt_in)
    user.groups.add(Group.objects.get(name=Role.CUSTOMER))
    return user


@transaction.atomic
def user_update_profile(*, user: User, name: str, phone: str, sms_opt_in: bool) -> User:
    user.name = name
    user.phone = phone
    user.sms_opt_in = sms_opt_in and bool(phone)
    user.save(update_fields=["name", "phone", "sms_opt_in"])
    return user


@transaction.atomic
def user_set_away(*, user: User, away: bool) -> User:
    """Agents who are away get no new tickets from auto-assignment (existing ones stay theirs)."""
    user.is_away = away
    user.save(update_fields=["is_away"])
    return user


# --- The outbox -------------------------------------------------------------------


def notify(
    *,
    channel: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    subject: str = "",
    store=None,
    related: models.Model | None = None,
) -> Notification:
    """Queue one message for delivery; the only way anything in StockDesk sends one.

    Contract:
    - writes a ``Notification`` row inside the caller's transaction, so a rollback leaves
      no row and sends nothing;
    - enqueues delivery only after that transaction commits (``on_commit``);
    - is idempotent on ``idempotency_key``: calling it again with the same key returns
      the existing row and enqueues nothing, so a retried use case never sends twice.
      Build keys from what makes the message unique, e.g. ``order-confirmed:42``.
    """
    if channel not in Notification.Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    if not recipient:
        raise ValueError("A notification needs a recipient.")
    defaults = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject[:255],
        "body": body,
        "store": store,
    }
    if related is not None:
        defaults["related_type"] = ContentType.objects.get_for_model(related)
        defaults["related_id"] = str(related.pk)
    notification = Notification(idempotency_key=idempotency_key, **defaults)
    if not _insert_unless_key_exists(notification):
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:  # another constraint failed: not a repeat
            raise IntegrityError(f"Notification {idempotency_key!r} was not stored.")
        return existing
    transaction.on_commit(lambda: notification_dispatch(notification_id=notification.pk))
    return notification


_NOTIFICATION_INSERT = ModelInsert(Notification)


def _insert_unless_key_exists(notification: Notification) -> bool:
    """INSERT the row; False (and nothing written) if its idempotency key is already taken.

    A new key is the usual case. PostgreSQL and SQLite >= 3.35 do it in one statement,
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite: ``INSERT OR IGNORE``;
    ``accounts.rawsql.ModelInsert``): no savepoint around it (two more round trips) and no failed
    statement to recover from. Elsewhere the INSERT runs in a savepoint inside a transaction
    (which keeps the caller's transaction usable after a duplicate) and a duplicate raises as
    before.
    """
    connection = transaction.get_connection()
    if connection.features.can_return_columns_from_insert:
        return _NOTIFICATION_INSERT.insert_unless_conflict(notification)
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with guard:
            notification.save(force_insert=True)
    except IntegrityError:
        if not Notification.objects.filter(idempotency_key=notification.idempotency_key).exists():
            raise
        return False
    return True


def notify_template(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    idempotency_key: str,
    store=None,
    related: models.Model | None = None,
) -> Notification:
    """``notify`` with subject and body rendered from ``templates/emails/<template>``.

    Email templates are ``<template>_subject.txt`` and ``<template>_body.txt``; SMS uses
    ``<template>_sms.txt``. They are plain text: user text appears as typed, and the HTML
    part that delivery adds escapes it.
    """
    context = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
    if channel == Notification.Channel.SMS:
        subject = ""
        body = render_to_string(f"emails/{template}_sms.txt", context).strip()
    else:
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}_body.txt", context).strip() + "\n"
    return notify(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        idempotency_key=idempotency_key,
        store=store,
        related=related,
    )


def notification_dispatch(*, notification_id: int) -> bool:
    """After commit: get a new row delivered. Never raises.

    With a Redis broker, rows are delivered in batches (``notifications_deliver_due``) and this
    only makes sure a batch delivery is on its way (``accounts/drain_flag.py`` says how and why).
    Eager mode (embedded StockDesk) and other brokers enqueue the row's own task.
    """
    flag_client = drain_flag.client()
    if flag_client is None:
        return notification_enqueue(notification_id=notification_id)
    return notifications_kick(flag_client)


def notifications_kick(flag_client=None) -> bool:
    """Publish one batch delivery unless one is already queued; False if the broker is unreachable.

    Never raises: a row that is not handed over stays pending for the periodic re-dispatch.
    """
    from .tasks import deliver_pending_notifications

    flag_client = flag_client or drain_flag.client()
    if flag_client is None:
        return False
    try:
        if not drain_flag.set_if_absent(flag_client):
            return True  # a queued drain clears the flag before it reads: it will see this row
    except redis.RedisError:
        logger.warning("Could not reach the broker; new notifications stay pending for re-dispatch", exc_info=True)
        return False
    try:
        deliver_pending_notifications.apply_async()
    except Exception:  # noqa: BLE001 - any broker failure leaves the rows for the sweeper
        drain_flag.clear(flag_client)
        logger.warning("Could not enqueue a batch delivery; rows stay pending for re-dispatch", exc_info=True)
        return False
    return True


def notification_enqueue(*, notification_id: int) -> bool:
    """Hand a row to the notifications queue; never raises.

    If the broker is unreachable the row simply stays pending: the periodic
    re-dispatch delivers it once the broker is back. The request that caused the
    notification has already committed and must not fail or hang because of this.
    """
    from .tasks import deliver_notification

    try:
        deliver_notification.apply_async(args=[notification_id])
    except Exception:  # noqa: BLE001 - any broker failure leaves the row for the sweeper
        logger.warning(
            "Could not enqueue notification %s; it stays pending for re-dispatch", notification_id, exc_info=True
        )
        return False
    return True


class TransientDeliveryError(Exception):
    """Delivery failed in a way that may work later (connection, timeout, 4xx SMTP)."""


class PermanentDeliveryError(Exception):
    """Delivery can never succeed (recipient refused, bad number)."""


def _claimable(now) -> models.Q:
    ready = models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
    stale_claim = models.Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    return (models.Q(status=Notification.Status.PENDING) & ready) | stale_claim


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one outbox row, at most once however often it is called.

    The row is claimed with a conditional UPDATE (pending → sending, with a lease), which
    is atomic on PostgreSQL and SQLite alike: of two concurrent calls exactly one wins,
    the other returns ``None`` without sending. The send happens outside any database
    transaction so no lock is held during network I/O. If the worker dies mid-send the
    lease expires and the row becomes claimable again.

    Returns the updated row, or ``None`` if there was nothing to do (already sent,
    failed, claimed by someone else, or not yet due for a retry). Raises
    ``TransientDeliveryError`` after recording a retryable failure.
    """
    notification = _notification_claim(notification_id)
    if notification is None:
        return None
    with _MailSession() as mail:
        _deliver_claimed(notification, mail)
    return notification


def notifications_deliver_due(*, batch_size: int | None = None, seconds: float = 120.0) -> int:
    """Send every outbox row that is due, in batches of one mail connection each; returns how many were sent.

    The worker's side of ``notification_dispatch``. It clears the "drain queued" flag first, so
    a row committed from then on either is read here or publishes a new drain. Each batch is
    claimed like one row (``_notifications_claim_due``: same conditions, same lease), so two
    drains, or a drain and a single-row task, never send a row twice. A failure is recorded on
    its row and the rest of the batch goes on; a retryable one is retried by the periodic
    re-dispatch when due. After ``seconds`` (inside the task's soft time limit) it publishes a
    new drain for what is left and returns.

    A claim lasts ``NOTIFICATION_CLAIM_SECONDS`` from the moment the batch is taken, and a row
    whose lease has run out may be claimed and sent by another worker. So a batch is no larger
    than a slow mail server (every send taking twice ``EMAIL_TIMEOUT``) could get through within
    the lease, and a row is not sent when less than that margin of its lease is left: it stays
    claimed and is taken over when the lease ends, never sent by two workers at once.
    """
    lease = settings.NOTIFICATION_CLAIM_SECONDS
    margin = min(2 * (settings.EMAIL_TIMEOUT or 10), lease / 2)
    if batch_size is None:
        batch_size = max(1, min(50, int(lease // margin)))
    drain_flag.clear()
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        batch = _notifications_claim_due(limit=batch_size)
        if not batch:
            return sent
        with _MailSession() as mail:  # one connection per batch: a bounded number of emails each
            for notification in batch:
                if timezone.now() + timedelta(seconds=margin) >= notification.claimed_until:
                    logger.warning(
                        "Notification %s left to be claimed again: its lease is nearly over", notification.pk
                    )
                    continue
                try:
                    _deliver_claimed(notification, mail)
                except TransientDeliveryError:
                    continue
                sent += notification.status == Notification.Status.SENT
    notifications_kick()
    return sent


class _MailSession:
    """One connection to the mail backend for a batch: opened on first use, dropped after a failure.

    Over SMTP this is one connection (and TLS handshake) for many emails instead of one each:
    Django's backends keep a connection that was opened before ``send_messages`` and close only
    one they opened themselves.
    """

    def __init__(self) -> None:
        self._connection = None

    def open(self):
        """The backend, its connection open; raises what opening raises (``_send`` sorts it out)."""
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._connection = connection
        return self._connection

    def reset(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is being dropped anyway
                logger.debug("Closing the mail connection failed", exc_info=True)

    def __enter__(self) -> _MailSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.reset()


def _deliver_claimed(notification: Notification, mail: _MailSession) -> None:
    """Send a row this process has claimed and record the outcome on it (and on ``notification``).

    Raises ``TransientDeliveryError`` after recording a retryable failure that has attempts left.
    """
    try:
        _send(notification, mail)
    except PermanentDeliveryError as exc:
        _record_failure(notification, error=str(exc), final=True)
        return
    except TransientDeliveryError as exc:
        mail.reset()  # the next message gets a fresh connection
        final = notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        _record_failure(notification, error=str(exc), final=final)
        if final:
            return
        raise
    sent = {
        "status": Notification.Status.SENT,
        "sent_at": timezone.now(),
        "claimed_until": None,
        "last_error": "",
        "updated_at": timezone.now(),
    }
    _notification_update(notification.pk, sent)
    for field, value in sent.items():  # the row as written, without reading it back
        setattr(notification, field, value)
    logger.info("Notification %s delivered by %s to %s", notification.pk, notification.channel, notification.recipient)


_NOTIFICATION_COLUMNS = ModelColumns(Notification, None)


def _notification_claim(notification_id: int) -> Notification | None:
    """Claim the row if ``_claimable`` (pending → sending, with a lease); the claimed row, or None.

    PostgreSQL and SQLite >= 3.35: one ``UPDATE ... RETURNING`` in plain SQL, the conditions of
    ``_claimable`` written out (the ORM compiles them, and the read after, for about as long as
    the worker takes to build the email). Elsewhere the ORM's conditional update and a read.
    """
    connection = transaction.get_connection()
    if not connection.features.can_return_columns_from_insert:
        now = timezone.now()
        claimed = Notification.objects.filter(pk=notification_id).filter(_claimable(now)).update(**_claim_fields(now))
        return Notification.objects.get(pk=notification_id) if claimed else None
    rows = _claim_returning(connection, "id = %s", [notification_id])
    return rows[0] if rows else None


def _notifications_claim_due(*, limit: int) -> list[Notification]:
    """Claim up to ``limit`` due rows, oldest first, as ``_notification_claim`` claims one.

    One ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``. On PostgreSQL the subquery
    locks with ``FOR UPDATE SKIP LOCKED``: two drains running at once take different rows instead
    of waiting for each other, and the claim conditions are checked again on the locked row, so a
    row claimed meanwhile is never taken twice. SQLite runs one writer at a time. Without
    ``RETURNING``, one conditional update per row.
    """
    connection = transaction.get_connection()
    if not connection.features.can_return_columns_from_insert:
        due = Notification.objects.filter(_claimable(timezone.now())).order_by("created_at", "id")
        claimed = (_notification_claim(pk) for pk in due.values_list("pk", flat=True)[:limit])
        return [notification for notification in claimed if notification is not None]
    table = connection.ops.quote_name(Notification._meta.db_table)
    # The table name comes from the model's metadata; every value is a parameter.
    due = f"SELECT id FROM {table} WHERE {_CLAIMABLE_SQL} ORDER BY created_at, id LIMIT %s"  # noqa: S608
    where = f"id IN ({due})"
    if connection.vendor == "postgresql":
        # ARRAY(...) runs the subquery once. As ``id IN (subquery)`` the planner may scan it again
        # for each row it updates, and each scan finds more due rows: far more than ``limit``.
        where = f"id = ANY(ARRAY({due} FOR UPDATE SKIP LOCKED))"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pending, sending = Notification.Status.PENDING, Notification.Status.SENDING
    rows = _claim_returning(connection, where, [pending, now, sending, now, limit])
    return sorted(rows, key=lambda notification: (notification.created_at, notification.pk))


# ``_claimable`` written out: params (pending, now, sending, now).
_CLAIMABLE_SQL = (
    "((status = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)) OR (status = %s AND claimed_until < %s))"
)


def _claim_fields(now) -> dict:
    return {
        "status": Notification.Status.SENDING,
        "claimed_until": now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS),
        "attempts": models.F("attempts") + 1,
        "updated_at": now,
    }


def _claim_returning(connection, where: str, params: list) -> list[Notification]:
    """``UPDATE`` the claimable rows matching ``where`` to claimed, returning them as instances."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    at = connection.ops.adapt_datetimefield_value
    pending, sending = Notification.Status.PENDING, Notification.Status.SENDING
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names come from the model's metadata; every value is a parameter.
            f"UPDATE {connection.ops.quote_name(Notification._meta.db_table)} "  # noqa: S608
            "SET status = %s, claimed_until = %s, attempts = attempts + 1, updated_at = %s "
            f"WHERE {where} AND {_CLAIMABLE_SQL} RETURNING {_NOTIFICATION_COLUMNS.sql}",
            [sending, at(lease), at(now), *params, pending, at(now), sending, at(now)],
        )
        return [_NOTIFICATION_COLUMNS.build(row) for row in cursor.fetchall()]


def _notification_update(pk: int, fields: dict) -> None:
    """``Notification.objects.filter(pk=pk).update(**fields)`` for plain values, without compiling a queryset."""
    connection = transaction.get_connection()
    meta = Notification._meta
    columns, params = [], []
    for name, value in fields.items():
        field = meta.get_field(name)
        columns.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            # Column names come from the model's metadata; every value is a parameter.
            f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {', '.join(columns)} WHERE id = %s",  # noqa: S608
            [*params, pk],
        )


def retry_delay_seconds(attempts: int) -> int:
    """Exponential backoff: 30 s, 60 s, 120 s … capped at an hour."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


def _record_failure(notification: Notification, *, error: str, final: bool) -> None:
    now = timezone.now()
    fields = {"last_error": error[:2000], "claimed_until": None, "updated_at": now}
    if final:
        fields.update(status=Notification.Status.FAILED, next_attempt_at=None)
        logger.error(
            "Notification %s failed for good after %s attempt(s): %s", notification.pk, notification.attempts, error
        )
    else:
        fields.update(
            status=Notification.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=retry_delay_seconds(notification.attempts)),
        )
        logger.warning(
            "Notification %s attempt %s failed, will retry: %s", notification.pk, notification.attempts, error
        )
    Notification.objects.filter(pk=notification.pk).update(**fields)
    notification.refresh_from_db()


class _OutboxEmail(EmailMultiAlternatives):
    """Django's message, with the MIME boundaries drawn before the message is written.

    Python's generator, writing a multipart message that has no boundary yet, draws a random one
    and compiles a regular expression from it to check that no line of the parts equals it: a
    fresh compile for every email, about an eighth of a delivery's CPU. A boundary of 128 random
    bits drawn here cannot be in parts that were written before it was drawn, so it is set first.
    """

    def message(self):
        msg = super().message()
        for part in msg.walk():
            if part.is_multipart() and not part.get_boundary():
                part.set_boundary(f"==============={secrets.token_hex(16)}==")
        return msg


def _send(notification: Notification, mail: _MailSession) -> None:
    if notification.channel == Notification.Channel.SMS:
        try:
            get_sms_backend().send(to=notification.recipient, body=notification.body)
        except SMSPermanentError as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        except SMSTransientError as exc:
            raise TransientDeliveryError(str(exc)) from exc
        return
    html = render_to_string(
        "emails/base.html",
        {"subject": notification.subject, "body": notification.body, "site_name": settings.SITE_NAME},
    )
    message = _OutboxEmail(
        subject=notification.subject,
        body=notification.body,
        to=[notification.recipient],
        # Replies reach the support mailbox (read by fetch_mail), never the no-reply sender.
        reply_to=[settings.SUPPORT_EMAIL],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-StockDesk-Notification": str(notification.pk),
            # Stable per notification: if a worker dies after the server accepted the message
            # but before the row says "sent", the retry is the same message, which mail
            # systems recognise as a duplicate, not a second email.
            "Message-ID": notification_message_id(notification),
        },
    )
    message.attach_alternative(html, "text/html")
    try:
        message.connection = mail.open()
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"Recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientDeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise PermanentDeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (TimeoutError, smtplib.SMTPException, ConnectionError, OSError) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc


def notification_message_id(notification: Notification) -> str:
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:16]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "stockdesk.local"
    return f"<{digest}.{notification.pk}@{domain}>"


def notifications_redispatch(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Enqueue rows that should have gone out by now; safe to run any time, any number of times.

    Picks pending rows created more than ``older_than_seconds`` ago (the broker was down at
    commit, or a worker died) whose retry is due, and rows whose delivery claim expired.
    Delivery's own claim makes a double enqueue harmless. Returns how many were enqueued.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.NOTIFICATION_REDISPATCH_AFTER_SECONDS
    now = timezone.now()
    ids = list(
        Notification.objects.filter(_claimable(now), created_at__lte=now - timedelta(seconds=older_than_seconds))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = sum(1 for pk in ids if notification_enqueue(notification_id=pk))
    if ids:
        logger.info("Re-dispatched %s of %s pending notification(s)", enqueued, len(ids))
    return enqueued


def notifications_retry_failed(*, notification_ids: list[int]) -> int:
    """Give failed rows another round of attempts (after the cause was fixed). Returns the count."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=None, updated_at=now
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: notification_enqueue(notification_id=pk))
    return len(ids)


def notifications_purge_sent(*, older_than_days: int = 90) -> int:
    """Delete sent rows older than the retention period; failed rows stay visible."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Notification.objects.filter(status=Notification.Status.SENT, sent_at__lt=cutoff).delete()
    return deleted
