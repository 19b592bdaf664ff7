"""API-wide wiring: every error answer carries a ``detail`` and a machine-readable ``code``."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback


def exception_handler(exc, context):
    """DRF's handler, with validation errors also summarised under ``detail``.

    DRF returns field errors as ``{"field": ["msg"]}``; clients (and our tests) can rely on
    ``detail`` being present on every 4xx while still reading per-field errors.
    """
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, DataError):
        # The database refused a value the serializers let through (a date or number out of
        # its range, e.g. a time-zone offset PostgreSQL does not know): bad input, not a bug.
        set_rollback()
        return Response({"detail": "A value in the request is out of range.", "code": "out_of_range"}, status=400)
    if response is None:
        return None
    if isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Invalid input.", "code": "invalid", "errors": response.data}
    elif isinstance(response.data, list):
        codes = [getattr(item, "code", None) for item in response.data]
        response.data = {"detail": " ".join(str(item) for item in response.data), "code": codes[0] if codes else None}
    if isinstance(response.data, dict) and "code" not in response.data:
        # DRF's own exceptions carry a code (not_authenticated, not_found, throttled, ...), and
        # so do the services' refusals passed through ``service_error``.
        response.data["code"] = getattr(response.data["detail"], "code", None)
    if isinstance(response.data, dict) and not response.data.get("code"):
        response.data["code"] = "error"
    return response


def service_error(exc: DjangoValidationError) -> ValidationError:
    """A service's refusal (Django's ``ValidationError``) as a 400 with its message as ``detail``
    and its code (``price_changed``, ``out_of_stock``, ...) as ``code``."""
    codes = [error.code for error in getattr(exc, "error_list", []) if error.code]
    return ValidationError({"detail": " ".join(exc.messages)}, code=codes[0] if codes else "invalid")


# --- OpenAPI: document the error answers every endpoint can give -----------------------

ERROR_RESPONSES = {
    "400": "Invalid input; `detail` says why and `errors` lists the fields.",
    "401": "Not authenticated.",
    "403": "Not allowed for this account.",
    "404": "Not found, or not yours.",
    "429": "Too many requests; retry later.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "Machine-readable: invalid, not_authenticated, permission_denied, not_found, throttled, "
            "idempotency_key_reused, price_changed, out_of_stock, product_unavailable, already_cancelled, "
            "already_shipped, reason_required, ...",
        },
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "Per-field messages, on validation errors.",
        },
    },
    "required": ["detail"],
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``): every
    operation documents the error answers above, so clients (and fuzzers) know them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                responses.setdefault(
                    "422",
                    {
                        "description": "The Idempotency-Key was already used with another request.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def ordering_parameter(fields: list[str]):
    """The ``ordering`` query parameter with its allowed values listed (DRF's OrderingFilter
    documents it as a free string): each field, ascending or with ``-`` for descending."""
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        "ordering",
        str,
        enum=[f"{sign}{field}" for field in fields for sign in ("", "-")],
        description="Sort by this field; a leading `-` sorts descending.",
    )


def created(request, data, *, url_name: str | None = None, pk=None):
    """A 201 answer; with ``Location`` naming the new object's detail URL when it has one."""
    from django.urls import reverse
    from rest_framework.response import Response

    headers = {}
    if url_name is not None:
        headers["Location"] = request.build_absolute_uri(reverse(f"api:{url_name}", args=[pk]))
    return Response(data, status=201, headers=headers)


# --- Conditional GET and rate-limit headers --------------------------------------------


def etag_parameters():
    """The schema of a detail GET that answers ``ETag`` and honours ``If-None-Match``."""
    from drf_spectacular.utils import OpenApiParameter

    return [
        OpenApiParameter(
            "If-None-Match",
            str,
            OpenApiParameter.HEADER,
            description="The ETag of your copy: 304 with no body when it is still current.",
        ),
        OpenApiParameter(
            "ETag", str, OpenApiParameter.HEADER, response=[200], description="The version of this representation."
        ),
    ]


def with_etag(request, response):
    """Give a 200 answer an ``ETag`` (a hash of its data) and answer 304 if the client has it.

    Uses Django's own conditional-GET rules (``get_conditional_response``: weak comparison,
    ``*``); the answer varies by who asks, so caches keep it per credential."""
    import hashlib
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.cache import get_conditional_response, patch_vary_headers
    from django.utils.http import quote_etag

    if response.status_code != 200:
        return response
    digest = hashlib.sha256(json.dumps(response.data, cls=DjangoJSONEncoder, sort_keys=True).encode()).hexdigest()
    etag = quote_etag(digest[:32])
    response["ETag"] = etag
    patch_vary_headers(response, ["Authorization", "Cookie"])
    conditional = get_conditional_response(request, etag=etag, response=response)
    if conditional is not response:
        conditional["ETag"] = etag
    return conditional


class RateLimitHeadersMixin:
    """``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` (the IETF httpapi
    draft's names) on every answer, from the throttles DRF checked for this request: the one
    closest to its limit. DRF itself adds ``Retry-After`` to a 429.

    Views that choose their throttles per request override ``throttles_for_request``.
    """

    def throttles_for_request(self):
        return super().get_throttles()

    def get_throttles(self):
        self.throttles_checked = self.throttles_for_request()
        return self.throttles_checked

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        import time

        best = None
        for throttle in getattr(self, "throttles_checked", []):
            limit, duration = getattr(throttle, "num_requests", None), getattr(throttle, "duration", None)
            history = getattr(throttle, "history", None)
            if limit is None or duration is None or history is None:
                continue
            remaining = max(limit - len(history), 0)
            reset = int(max(duration - (time.time() - history[-1]), 0)) + 1 if history else int(duration)
            if best is None or remaining < best[1]:
                best = (limit, remaining, reset)
        if best is not None:
            response["RateLimit-Limit"], response["RateLimit-Remaining"], response["RateLimit-Reset"] = map(str, best)
        return response
