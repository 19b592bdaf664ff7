"""Request hygiene that every app relies on (project-wide middleware)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse


class RejectNulBytesMiddleware:
    """Refuse NUL characters in the path or the query string with a 400.

    No URL or parameter of StockDesk can legitimately contain one, and PostgreSQL refuses
    them in text values: without this, ``/support/files/%00/`` or ``?q=%00`` would reach the
    database and fail as a 500 instead of being bad input.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "The request contains a NUL character."}, status=400)
            return HttpResponse(
                "Bad request: the address contains a NUL character.", status=400, content_type="text/plain"
            )
        return self.get_response(request)
