"""Webhooks: a store's endpoints and the outbox of deliveries to them.

Low in the stack: imports only ``accounts``; inventory and tickets call ``webhooks.services``.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from accounts.models import Store


class Event(models.TextChoices):
    ORDER_PLACED = "order.placed", "Order placed"
    ORDER_CANCELLED = "order.cancelled", "Order cancelled"
    ORDER_SHIPPED = "order.shipped", "Order line shipped"
    STOCK_LOW = "stock.low", "Stock low"
    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_REPLIED = "ticket.replied", "Ticket replied to by an agent"
    TICKET_RESOLVED = "ticket.resolved", "Ticket resolved"
    RETURN_REQUESTED = "return.requested", "Return requested"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of a store's integration and the events it wants."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500, help_text="Receives a signed POST per event (docs/api.md).")
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The events to send (one or more).")
    # Shared with the receiver, who checks the signature with it; shown in the admin.
    secret = models.CharField(max_length=100, default=new_secret)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id", "url", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row and its delivery log.

    Written with the change that caused it (same transaction), delivered after commit by
    ``webhooks.tasks.deliver_webhook``; the unique (endpoint, event id) makes a repeated emit a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=Event.choices)
    event_id = models.CharField(max_length=64, help_text="Sent as Webhook-Id; the same on every retry.")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "created_at"], name="webhooks_delivery_status")]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_delivery_endpoint_event_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sending", "delivered", "failed"]),
                name="webhooks_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="webhooks_delivery_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
