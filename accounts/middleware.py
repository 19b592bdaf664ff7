"""Request hygiene that every app relies on."""

from __future__ import annotations

from csp import middleware as csp_middleware
from csp import utils as csp_utils
from csp.constants import HEADER
from django.conf import settings
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


# The response attributes through which django-csp's view decorators change one response's policy.
_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, building the site-wide policy string once instead of per response.

    django-csp rebuilds the header from the settings on every response (about 130 us of CPU,
    more than resolving the URL). A response without a per-view policy (django-csp's decorators),
    to a request that used no nonce and with no report-only policy configured, always gets the
    same string: it is built once, by django-csp, and kept with the settings object it came from
    (so a changed setting, e.g. a test's ``override_settings``, is built afresh). Every other
    response takes django-csp's own path.
    """

    _built: tuple[object, str] = (None, "")

    def _site_policy(self) -> str:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        built_for, header = self._built
        if built_for is not config:
            header = csp_utils.build_policy()
            type(self)._built = (config, header)
        return header

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            settings.DEBUG
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
        ):
            return super().process_response(request, response)
        header = self._site_policy()
        if header and HEADER not in response and getattr(response, "_csp_exempt", False) is False:
            policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
            prefixes = policy.get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[HEADER] = header
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
