"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the endpoint's secret.

Headers on every delivery (docs/api.md has the receiver's recipe):

- ``Webhook-Id``: the event's id, the same on every retry (deduplicate on it);
- ``Webhook-Timestamp``: Unix seconds when this attempt was signed;
- ``Webhook-Signature``: ``v1=<hex digest>``.

A receiver recomputes the digest over the raw body, compares in constant time, and refuses a
timestamp more than ``REPLAY_WINDOW_SECONDS`` from its clock, so a captured request cannot be
replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

REPLAY_WINDOW_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(*, secret: str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "StockDesk-Webhooks/1",
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }


def verify(*, secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """The receiver's check, as docs/api.md describes it (for integrators writing in Python)."""
    try:
        timestamp = int(headers["Webhook-Timestamp"])
        given = headers["Webhook-Signature"]
    except (KeyError, TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > REPLAY_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(given, signature(secret=secret, timestamp=timestamp, body=body))
