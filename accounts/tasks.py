"""Outbox tasks: thin wrappers that take ids and call ``accounts.outbox``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import outbox
from .models import Notification

logger = logging.getLogger(__name__)


@shared_task(
    name="accounts.deliver_notification",
    bind=True,
    acks_late=True,  # safe: delivery claims the row, so a redelivered message sends nothing twice
    max_retries=None,  # the row's attempts counter decides when to give up
    time_limit=60,
    soft_time_limit=45,
)
def deliver_notification(self, notification_id: int) -> str:
    try:
        notification = outbox.notification_deliver(notification_id=notification_id)
    except outbox.TransientDeliveryError as exc:
        if self.request.is_eager:
            # In-process (embedded) mode must not sleep through retries inside a request;
            # the row is pending with next_attempt_at and the re-dispatch sends it later.
            return "retry-scheduled"
        attempts = Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first() or 1
        raise self.retry(exc=exc, countdown=outbox.retry_delay_seconds(attempts)) from exc
    return notification.status if notification else "skipped"


def enqueue_delivery(notification_id: int) -> bool:
    """Hand a row to the notifications queue; never raises.

    If the broker is unreachable the row simply stays pending: the periodic re-dispatch
    delivers it once the broker is back. The request that caused the notification has
    already committed and must not fail or hang because of this.
    """
    try:
        deliver_notification.apply_async(args=[notification_id])
    except Exception:  # noqa: BLE001 - any broker failure leaves the row for the re-dispatch
        logger.warning(
            "Could not enqueue notification %s; it stays pending for re-dispatch", notification_id, exc_info=True
        )
        return False
    return True


@shared_task(name="accounts.redispatch_pending_notifications", time_limit=120, soft_time_limit=100)
def redispatch_pending_notifications(older_than_seconds: int | None = None) -> int:
    """Enqueue rows that should have gone out by now; safe to run any time, any number of times
    (delivery's claim makes a double enqueue harmless). Returns how many were enqueued."""
    if older_than_seconds is None:
        older_than_seconds = settings.NOTIFICATION_REDISPATCH_AFTER_SECONDS
    ids = outbox.notifications_due_ids(older_than_seconds=older_than_seconds)
    enqueued = sum(1 for pk in ids if enqueue_delivery(pk))
    if ids:
        logger.info("Re-dispatched %s of %s pending notification(s)", enqueued, len(ids))
    return enqueued


@shared_task(name="accounts.purge_sent_notifications", time_limit=600)
def purge_sent_notifications() -> int:
    return outbox.notifications_purge_sent()


@shared_task(name="accounts.purge_idempotency_keys", time_limit=300, soft_time_limit=240)
def purge_idempotency_keys() -> int:
    """Delete API idempotency keys past their time (``IDEMPOTENCY_KEY_TTL_HOURS``); safe to repeat."""
    from .idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
