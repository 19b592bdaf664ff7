"""The CSP header: django-csp's answers, with the site-wide policy string built once.

Every case is run through django-csp's own middleware and ours, and the headers compared.
"""

from __future__ import annotations

import re

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from accounts.middleware import CSPMiddleware


def _headers(middleware_class, view, path="/shop/"):
    middleware = middleware_class(view)
    request = RequestFactory().get(path)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return request, response.get(HEADER), response.get(HEADER_REPORT_ONLY)


def plain(request):
    return HttpResponse("ok")


@csp_update({"img-src": ["https://images.example"]})
def updated(request):
    return HttpResponse("ok")


@csp_replace({"script-src": ["'self'", "https://cdn.example"]})
def replaced(request):
    return HttpResponse("ok")


@csp_exempt()
def exempt(request):
    return HttpResponse("ok")


def preset(request):
    response = HttpResponse("ok")
    response[HEADER] = "default-src 'none'"
    return response


def uses_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


@pytest.mark.parametrize("view", [plain, updated, replaced, exempt, preset])
def test_the_same_header_as_django_csp(view):
    ours, theirs = _headers(CSPMiddleware, view)[1:], _headers(DjangoCSPMiddleware, view)[1:]
    assert ours == theirs


def test_the_site_policy_is_what_the_settings_say():
    header = _headers(CSPMiddleware, plain)[1]
    assert "script-src 'self'" in header
    assert "frame-ancestors 'none'" in header


def test_a_nonce_used_by_the_page_is_in_its_header_and_not_in_the_next_one():
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        request, header, _ = _headers(CSPMiddleware, uses_nonce)
        # django-csp writes the directives in set order, which varies between processes.
        assert set(header.split("; ")) == {"default-src 'self'", f"script-src 'self' 'nonce-{request._csp_nonce}'"}
        assert _headers(CSPMiddleware, plain)[1] == _headers(DjangoCSPMiddleware, plain)[1]
        assert "nonce-" not in _headers(CSPMiddleware, plain)[1]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request = _headers(CSPMiddleware, plain)[0]
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_changed_setting_is_built_afresh():
    before = _headers(CSPMiddleware, plain)[1]
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}, "EXCLUDE_URL_PREFIXES": ["/admin/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert _headers(CSPMiddleware, plain)[1] == "default-src 'none'"
        assert _headers(CSPMiddleware, plain, path="/admin/")[1] is None
        assert _headers(DjangoCSPMiddleware, plain, path="/admin/")[1] is None
    assert _headers(CSPMiddleware, plain)[1] == before


def test_a_report_only_policy_takes_django_csps_path():
    report_only = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        ours, theirs = _headers(CSPMiddleware, plain)[1:], _headers(DjangoCSPMiddleware, plain)[1:]
    assert ours == theirs
    assert re.search(r"report-uri /csp-report/", ours[1])


@pytest.mark.django_db
def test_pages_and_the_api_carry_it(client):
    expected = _headers(DjangoCSPMiddleware, plain)[1]
    assert client.get("/ping")[HEADER] == expected
    assert client.get("/help/")[HEADER] == expected
