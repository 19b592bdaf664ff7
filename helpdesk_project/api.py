"""API-wide wiring: every error answer carries a ``detail``."""

from django.db import DataError
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
        return Response({"detail": "A value in the request is out of range."}, status=400)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Invalid input.", "errors": response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    return response


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
