"""The API's request wiring: DRF's answers, reached with less work per request.

Content negotiation answers the common ``Accept`` headers without parsing (the same renderer and
media type DRF gives); session authentication does not load a user when there is no session
cookie (the same user as DRF's class gives otherwise, CSRF still enforced); the flat URL list
resolves the same views under the same names.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import Http404
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.functional import empty
from rest_framework import authentication
from rest_framework.exceptions import NotAcceptable, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient

from accounts.authentication import SessionAuthentication
from helpdesk_project.negotiation import ContentNegotiation

from .factories import CustomerFactory

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "text/html",
    "application/json; indent=4",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/*",
    "image/png",
]


def _negotiate(negotiation, renderers, *, accept, query="", format_suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(RequestFactory().get(f"/api/v1/products/{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, format_suffix)
    except NotAcceptable:
        return "406"
    except Http404:  # a ?format= no renderer has
        return "404"
    return type(renderer), media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=api", "?format=json", "?page=2"])
@pytest.mark.parametrize("format_suffix", [None, "json", "api"])
@pytest.mark.parametrize("order", ["json first", "browsable first", "json only"])
def test_negotiation_picks_what_drf_picks(accept, query, format_suffix, order):
    renderers = {
        "json first": [JSONRenderer(), BrowsableAPIRenderer()],
        "browsable first": [BrowsableAPIRenderer(), JSONRenderer()],
        "json only": [JSONRenderer()],
    }[order]
    ours = _negotiate(ContentNegotiation(), renderers, accept=accept, query=query, format_suffix=format_suffix)
    drfs = _negotiate(DefaultContentNegotiation(), renderers, accept=accept, query=query, format_suffix=format_suffix)
    assert ours == drfs


@pytest.mark.django_db
def test_the_api_uses_it_and_still_answers_406_and_the_browsable_page():
    assert (
        settings.REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]
        == "helpdesk_project.negotiation.ContentNegotiation"
    )
    api = APIClient()
    assert api.get("/api/v1/products/", HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"
    assert api.get("/api/v1/products/", HTTP_ACCEPT="image/png").status_code == 406
    assert api.get("/api/v1/products/?format=api")["Content-Type"].startswith("text/html")


def _django_request(cookies: dict | None = None, method: str = "get"):
    factory = RequestFactory()
    request = getattr(factory, method)("/api/v1/me/")
    request.COOKIES.update(cookies or {})
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return request


@pytest.mark.django_db
def test_without_a_session_cookie_the_user_is_not_loaded():
    request = _django_request()
    assert SessionAuthentication().authenticate(Request(request)) is None
    # The lazy user was never evaluated: nothing read the session.
    assert request.user._wrapped is empty
    assert authentication.SessionAuthentication().authenticate(Request(_django_request())) is None


@pytest.mark.django_db
def test_with_a_session_cookie_it_answers_as_drfs_class_csrf_included():
    user = CustomerFactory()
    client = APIClient()
    client.force_login(user)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}

    for cls in (SessionAuthentication, authentication.SessionAuthentication):
        found, auth = cls().authenticate(Request(_django_request(cookies)))
        assert (found.pk, auth) == (user.pk, None)
        unsafe = Request(_django_request(cookies, method="post"))
        unsafe._request._dont_enforce_csrf_checks = False
        with pytest.raises(PermissionDenied, match="CSRF"):
            cls().authenticate(unsafe)
    # A stale or forged cookie is anonymous, as with DRF's class.
    stale = {settings.SESSION_COOKIE_NAME: "x" * 32}
    assert SessionAuthentication().authenticate(Request(_django_request(stale))) is None


@pytest.mark.django_db
def test_session_sign_in_still_works_through_the_api():
    user = CustomerFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me/").json()["email"] == user.email
    assert APIClient().get("/api/v1/me/").status_code == 403


@pytest.mark.parametrize(
    ("path", "name", "kwargs"),
    [
        ("/api/v1/orders/", "api:order-list", {}),
        ("/api/v1/orders/7/", "api:order-detail", {"pk": "7"}),
        ("/api/v1/products/", "api:product-list", {}),
        ("/api/v1/me/", "api:me", {}),
        ("/desk/", "tickets:desk", {}),
        ("/desk/tickets/5/", "tickets:desk_ticket", {"pk": 5}),
        ("/support/tickets/", "tickets:list", {}),
        ("/admin/", "admin:index", {}),
        ("/api/schema/", "schema", {}),
    ],
)
def test_urls_resolve_to_the_same_names_after_the_reordering(path, name, kwargs):
    match = resolve(path)
    assert match.view_name == name
    assert reverse(name, kwargs=kwargs or None) == path
