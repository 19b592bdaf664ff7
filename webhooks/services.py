"""Webhook use cases: emit an event (called by inventory and tickets), resend deliveries (admin).

``webhook_event_emit`` writes one ``WebhookDelivery`` per subscribed endpoint inside the caller's
transaction and enqueues their delivery on commit: if the change rolls back, no webhook exists;
if the broker is down, the periodic re-dispatch sends it later. Nothing is lost, nothing twice.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from .models import Event, WebhookDelivery, WebhookEndpoint


def event_id_for(key: str) -> str:
    return "evt_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def webhook_event_emit(*, store_id: int | None, event: str, data: dict, key: str) -> int:
    """Queue ``event`` for every active endpoint of the store that chose it. Returns how many.

    ``key`` names the business event once (``"order.placed:42"``): emitting the same key again
    changes nothing (unique endpoint + event id). Call it inside the use case's transaction.
    """
    if store_id is None:
        return 0
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    endpoints = [e for e in WebhookEndpoint.objects.filter(store_id=store_id, is_active=True) if event in e.events]
    if not endpoints:
        return 0
    event_id = event_id_for(key)
    already = set(
        WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list("endpoint_id", flat=True)
    )
    endpoints = [e for e in endpoints if e.pk not in already]
    if not endpoints:
        return 0
    now = timezone.now()
    payload = {"id": event_id, "type": event, "created_at": now.isoformat(), "store_id": store_id, "data": data}
    # ignore_conflicts: a concurrent emit of the same key loses to the unique constraint quietly.
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=e, event=event, event_id=event_id, payload=payload, created_at=now)
            for e in endpoints
        ],
        ignore_conflicts=True,
    )
    ids = list(WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    from .tasks import enqueue_delivery

    for pk in ids:
        enqueue_delivery(pk)


@transaction.atomic
def webhook_deliveries_resend(*, delivery_ids: list[int]) -> int:
    """Send deliveries again (the admin's "resend"): failed ones, and delivered ones a receiver
    lost. Same event id and body, a fresh signature and attempts count. Returns how many."""
    changed = WebhookDelivery.objects.filter(pk__in=delivery_ids).exclude(status=WebhookDelivery.Status.SENDING)
    ids = list(changed.values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=None, claimed_until=None, delivered_at=None
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)
