"""Webhook tasks: thin wrappers that take ids and call ``webhooks.delivery``."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.outbox import retry_delay_seconds

from . import delivery
from .models import WebhookDelivery

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", bind=True, acks_late=True, max_retries=None, time_limit=60, soft_time_limit=45)
def deliver_webhook(self, delivery_id: int) -> str:
    try:
        row = delivery.webhook_deliver(delivery_id=delivery_id)
    except delivery.TransientDeliveryError as exc:
        if self.request.is_eager:
            # In-process mode must not sleep through retries inside a request: the row is
            # pending with next_attempt_at, and the periodic re-dispatch sends it then.
            return "retry-scheduled"
        attempts = WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 1
        raise self.retry(exc=exc, countdown=retry_delay_seconds(attempts)) from exc
    return row.status if row else "skipped"


def enqueue_delivery(delivery_id: int) -> bool:
    """Hand a row to the queue; never raises (a broker that is down leaves it for the re-dispatch)."""
    try:
        deliver_webhook.apply_async(args=[delivery_id])
    except Exception:  # noqa: BLE001 - any broker failure leaves the row for the re-dispatch
        logger.warning("Could not enqueue webhook %s; it stays pending for re-dispatch", delivery_id, exc_info=True)
        return False
    return True


@shared_task(name="webhooks.redispatch_pending", time_limit=120, soft_time_limit=100)
def redispatch_pending_webhooks(older_than_seconds: int = 60) -> int:
    """Enqueue rows that are due; safe any number of times (delivery's claim makes a double enqueue harmless)."""
    ids = delivery.deliveries_due_ids(older_than_seconds=older_than_seconds)
    return sum(1 for pk in ids if enqueue_delivery(pk))
