"""Delivering outbox rows: claim, send, record. Rows are written by ``services.notify`` only.

One path for every row: ``tasks.deliver_notification`` calls ``notification_deliver``, whether
the task was enqueued when the row's transaction committed or by the periodic re-dispatch
(``tasks.redispatch_pending_notifications``) for a row whose enqueue was lost.

Guarantees:
- **at most once per claim**: a row is claimed (pending -> sending, with a lease) in its own short
  transaction, locked with ``select_for_update(skip_locked=True)`` on PostgreSQL (SQLite runs one
  writer at a time). Of two deliveries of the same row one claims it, the other does nothing;
- **nothing lost**: a worker that dies after claiming leaves the lease to expire, and the row is
  claimable again; the email keeps its ``Message-ID``, so a resend after the mail server had
  already accepted it is recognised as the same message;
- **visible failures**: a transient failure is retried with backoff until
  ``NOTIFICATION_MAX_ATTEMPTS``; then, or at once for a permanent one, the row is ``failed``
  with its last error, in the admin, where ops can retry it.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification
from .sms import SMSPermanentError, SMSTransientError, get_sms_backend

logger = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """Delivery failed in a way that may work later (connection, timeout, 4xx SMTP)."""


class PermanentDeliveryError(Exception):
    """Delivery can never succeed (recipient refused, bad number)."""


def claimable(now) -> models.Q:
    """Rows a delivery may take: pending and due, or claimed by a worker whose lease ran out."""
    ready = models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
    stale_claim = models.Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    return (models.Q(status=Notification.Status.PENDING) & ready) | stale_claim


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one outbox row if it is claimable; safe to call any number of times, concurrently.

    Returns the row as it ended (sent or failed), or ``None`` when there was nothing to do
    (already sent or failed, claimed by another worker, not yet due for a retry). Raises
    ``TransientDeliveryError`` after recording a retryable failure that has attempts left. The
    send itself runs outside any transaction: no lock is held during network I/O.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    try:
        _send(notification)
    except PermanentDeliveryError as exc:
        _record_failure(notification, error=str(exc), final=True)
        return notification
    except TransientDeliveryError as exc:
        final = notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        _record_failure(notification, error=str(exc), final=final)
        if final:
            return notification
        raise
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT, sent_at=now, claimed_until=None, last_error="", updated_at=now
    )
    notification.refresh_from_db()
    logger.info("Notification %s delivered by %s to %s", notification.pk, notification.channel, notification.recipient)
    return notification


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True).filter(claimable(now), pk=notification_id).first()
        )
        if notification is None:
            return None
        notification.status = Notification.Status.SENDING
        notification.claimed_until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
        notification.attempts += 1
        notification.save(update_fields=["status", "claimed_until", "attempts", "updated_at"])
    return notification


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


def _send(notification: Notification) -> None:
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
    message = EmailMultiAlternatives(
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


def notifications_due_ids(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Rows that should have gone out by now: pending and due (their enqueue was lost, or a retry
    is due) and older than ``older_than_seconds``, or claimed by a worker whose lease expired."""
    now = timezone.now()
    return list(
        Notification.objects.filter(claimable(now), created_at__lte=now - timedelta(seconds=older_than_seconds))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_purge_sent(*, older_than_days: int = 90) -> int:
    """Delete sent rows older than the retention period; failed rows stay visible."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Notification.objects.filter(status=Notification.Status.SENT, sent_at__lt=cutoff).delete()
    return deleted
