"""Delivering webhook rows: claim, POST, record; the same guarantees as ``accounts.outbox``.

- a row is claimed (pending → sending, with a lease) in its own short transaction, with
  ``select_for_update(skip_locked=True)`` on PostgreSQL: of two deliveries of one row one sends;
- a 2xx answer marks it delivered; anything else (an error status, a refused connection, a
  timeout) is retried with backoff (30 s, 60 s, 120 s … capped at an hour) until
  ``WEBHOOK_MAX_ATTEMPTS``, then the row is ``failed`` with its last error, in the admin;
- the POST runs outside any transaction, holds no lock, and follows no redirect.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.outbox import retry_delay_seconds

from .models import WebhookDelivery
from .signing import signed_headers

logger = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """The receiver did not take it this time (error status, connection, timeout)."""


class PermanentDeliveryError(Exception):
    """Never deliverable (a URL that is not http(s), or a private address where they are refused)."""


def claimable(now) -> models.Q:
    ready = models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
    stale = models.Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now)
    return (models.Q(status=WebhookDelivery.Status.PENDING) & ready) | stale


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """POST one row if claimable; safe to call any number of times, concurrently. Returns the row as
    it ended, or ``None`` when there was nothing to do. Raises ``TransientDeliveryError`` after
    recording a failure that has attempts left."""
    row = _claim(delivery_id)
    if row is None:
        return None
    try:
        status_code = _post(row)
    except PermanentDeliveryError as exc:
        _record_failure(row, error=str(exc), final=True)
        return row
    except TransientDeliveryError as exc:
        final = row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        _record_failure(row, error=str(exc), final=final)
        if final:
            return row
        raise
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=WebhookDelivery.Status.DELIVERED, delivered_at=now, claimed_until=None, last_error="",
        last_status_code=status_code,
    )  # fmt: skip
    row.refresh_from_db()
    logger.info("Webhook %s (%s) delivered to endpoint %s", row.pk, row.event, row.endpoint_id)
    return row


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(claimable(now), pk=delivery_id)
            .first()
        )
        if row is None:
            return None
        row.status = WebhookDelivery.Status.SENDING
        row.claimed_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 4)
        row.attempts += 1
        row.save(update_fields=["status", "claimed_until", "attempts"])
    return row


def _record_failure(row: WebhookDelivery, *, error: str, final: bool) -> None:
    now = timezone.now()
    fields = {"last_error": error[:2000], "claimed_until": None}
    if final:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        logger.error("Webhook %s failed for good after %s attempt(s): %s", row.pk, row.attempts, error)
    else:
        fields.update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=retry_delay_seconds(row.attempts)),
        )
        logger.warning("Webhook %s attempt %s failed, will retry: %s", row.pk, row.attempts, error)
    if error.startswith("HTTP "):
        fields["last_status_code"] = int(error.split()[1])
    WebhookDelivery.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()


def _check_target(host: str, port: int) -> None:
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise TransientDeliveryError(f"Cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise PermanentDeliveryError(f"{host} resolves to a non-public address ({address}); refused.")


def _post(row: WebhookDelivery) -> int:
    url = urlsplit(row.endpoint.url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise PermanentDeliveryError(f"Not an http(s) URL: {row.endpoint.url}")
    port = url.port or (443 if url.scheme == "https" else 80)
    _check_target(url.hostname, port)
    body = json.dumps(row.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    headers = signed_headers(secret=row.endpoint.secret, event_id=row.event_id, body=body)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, port, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    path = url.path or "/"
    if url.query:
        path += f"?{url.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise TransientDeliveryError(f"HTTP {response.status} from the receiver")
    return response.status


def deliveries_due_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """Rows that should have gone out by now (an enqueue lost, a retry due, a lease expired)."""
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(claimable(now), created_at__lte=now - timedelta(seconds=older_than_seconds))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
