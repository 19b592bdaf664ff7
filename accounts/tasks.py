"""Outbox tasks: thin wrappers that take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from . import services


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
        notification = services.notification_deliver(notification_id=notification_id)
    except services.TransientDeliveryError as exc:
        from .models import Notification

        attempts = Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first() or 1
        if self.request.is_eager:
            # In-process (embedded) mode must not sleep through retries inside a request;
            # the row is pending with next_attempt_at and the re-dispatch sends it later.
            return "retry-scheduled"
        raise self.retry(exc=exc, countdown=services.retry_delay_seconds(attempts)) from exc
    return notification.status if notification else "skipped"


@shared_task(
    name="accounts.deliver_pending_notifications",
    acks_late=True,  # safe: each row is claimed before it is sent
    time_limit=240,
    soft_time_limit=180,  # the drain stops itself after 120 s and queues another
)
def deliver_pending_notifications() -> int:
    """Send every due outbox row, in batches (``services.notifications_deliver_due``)."""
    return services.notifications_deliver_due()


@shared_task(name="accounts.redispatch_pending_notifications", time_limit=120, soft_time_limit=100)
def redispatch_pending_notifications() -> int:
    return services.notifications_redispatch()


@shared_task(name="accounts.purge_sent_notifications", time_limit=600)
def purge_sent_notifications() -> int:
    return services.notifications_purge_sent()
