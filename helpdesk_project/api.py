"""API-wide wiring: every error answer carries a ``detail``."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with validation errors also summarised under ``detail``.

    DRF returns field errors as ``{"field": ["msg"]}``; clients (and our tests) can rely on
    ``detail`` being present on every 4xx while still reading per-field errors.
    """
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Invalid input.", "errors": response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    return response
