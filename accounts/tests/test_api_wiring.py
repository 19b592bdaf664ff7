"""The API's request wiring: DRF's own session and token authentication, and the URL names."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .factories import CustomerFactory


@pytest.mark.django_db
def test_session_sign_in_works_through_the_api_with_csrf_enforced():
    user = CustomerFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me/").json()["email"] == user.email
    # An unsafe request on the session needs the CSRF token, as DRF's SessionAuthentication says.
    response = client.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert APIClient().get("/api/v1/me/").status_code in (401, 403)


@pytest.mark.django_db
def test_token_authentication_answers_with_drfs_messages():
    user = CustomerFactory()
    token = Token.objects.create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").json()["email"] == user.email
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/me/").json()["detail"] == "Invalid token."
    user.is_active = False
    user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").json()["detail"] == "User inactive or deleted."


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
def test_urls_resolve_to_their_names(path, name, kwargs):
    match = resolve(path)
    assert match.view_name == name
    assert reverse(name, kwargs=kwargs or None) == path
