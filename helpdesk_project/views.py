"""Project-wide views that belong to no app: error pages, liveness and health."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON with a ``detail`` under /api/, the friendly page elsewhere."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found as default_page_not_found

    return default_page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that is restarting or unreachable answers a clean 503 with
    Retry-After (JSON under /api/); any other error the static 500 page. Never a traceback.

    Django calls this inside its exception handler, so ``sys.exc_info()`` is the error, from
    a view or from any middleware. Connections are closed so the next request reconnects.
    """
    import sys

    from django.db import InterfaceError, OperationalError, close_old_connections
    from django.http import JsonResponse
    from django.template.loader import render_to_string

    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError) and _is_connection_error(exc):
        close_old_connections()
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": "The service is briefly unavailable; try again shortly."}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": "Server error."}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


def _is_connection_error(exc: Exception) -> bool:
    """Connection trouble (no server, lost connection, shutdown, pool exhausted), not a bad query."""
    from django.db import InterfaceError

    if isinstance(exc, InterfaceError):
        return True
    text = str(exc).lower()
    markers = ("connect", "server closed", "terminating", "shutting down", "the database system is", "timeout", "pool")
    return any(marker in text for marker in markers)


def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest possible answer (no database, cache or template): a liveness probe, and the
    ceiling that the load benchmark measures every page against."""
    return HttpResponse("pong", content_type="text/plain")


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and readiness for load balancers: 200 when all parts answer, else 503 naming them."""
    from django.http import JsonResponse

    from .health import run_checks

    healthy, checks = run_checks()
    failing = [name for name, result in checks.items() if not result["ok"]]
    payload = {"status": "ok" if healthy else "fail", "failing": failing, "checks": checks}
    response = JsonResponse(payload, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
