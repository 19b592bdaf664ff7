"""``Idempotency-Key`` for API requests that create something (orders, tickets, messages, returns,
purchase orders, products, stock adjustments).

A client that sends ``Idempotency-Key: <unique string>`` with a ``POST`` may send the same request
again (after a timeout, a dropped connection) and get the first answer back instead of a second
order. The contract, documented in docs/api.md:

- same key, same request (method, path, body) → the first answer, replayed, with
  ``Idempotent-Replayed: true``; nothing runs again;
- same key, another request → 422 ``idempotency_key_reused``, nothing changes;
- only successful (2xx) answers are kept: after an error the key is free, so the corrected
  request can be sent with it;
- keys are per user and kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24 h by default); the periodic task
  ``accounts.purge_idempotency_keys`` deletes older ones.

Safe under concurrency by the unique constraint on (user, key): the key row is inserted before the
use case runs, in the same transaction, so a concurrent request with the same key waits on the
database's unique index until the first commits, then replays it (or, if the first failed and
rolled back, runs itself).
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) of at most 255 characters. Sending the same request again with the "
        "same key returns the first answer instead of creating a second object; the same key with "
        "another request is refused with 422. Keys are kept 24 hours."
    ),
)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


def ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _canonical(value):
    """The parsed body in a form that is the same however the client encoded it (key order,
    multipart boundary): files count by name, size and content."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict (form and multipart bodies): every value of every key
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request) -> str:
    payload = {"method": request.method, "path": request.path, "body": _canonical(request.data)}
    return hashlib.sha256(json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True).encode()).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.response_location:
        headers["Location"] = record.response_location
    return Response(record.response_body, status=record.response_status, headers=headers)


def run_once(request, handler) -> Response:
    """Run ``handler()`` (the view's work) at most once per (user, key); see the module docstring."""
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return handler()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"detail": f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters."})
    body_print = fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Expired keys (not purged yet) no longer count.
                IdempotencyKey.objects.filter(
                    user=request.user, key=key, created_at__lt=timezone.now() - ttl()
                ).delete()
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, fingerprint=body_print, response_status=0
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.get(user=request.user, key=key)
            if existing.fingerprint != body_print:
                raise IdempotencyKeyReused() from None
            return _replay(existing)
        response = handler()
        if not 200 <= response.status_code < 300:
            # Not kept: the key row goes with the rest of the transaction.
            transaction.set_rollback(True)
            return response
        record.response_status = response.status_code
        record.response_body = response.data
        record.response_location = response.headers.get("Location", "")
        record.save(update_fields=["response_status", "response_body", "response_location"])
    return response


def idempotent(view_method):
    """Decorate a DRF view method that creates something: it honours ``Idempotency-Key``."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        return run_once(request, lambda: view_method(view, request, *args, **kwargs))

    return wrapper


def idempotency_keys_purge(*, now=None) -> int:
    """Delete keys older than the TTL; safe to run any time. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - ttl()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
