"""handler500: a database outage is a clean 503 (JSON under /api/), anything else a plain 500."""

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from helpdesk_project.views import server_error

# The handler closes broken connections, which touches the connection handler.
pytestmark = pytest.mark.django_db


def _handled(path: str, exc: Exception):
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:  # noqa: BLE001 - Django calls handler500 inside its exception handler
        return server_error(request)


@pytest.mark.parametrize(
    ("path", "content_type"), [("/shop/", "text/html; charset=utf-8"), ("/api/v1/me/", "application/json")]
)
def test_database_connection_errors_become_a_clean_503(path, content_type):
    response = _handled(path, OperationalError("connection to server at 127.0.0.1 failed: Connection refused"))
    assert response.status_code == 503
    assert response["Content-Type"] == content_type
    assert response["Retry-After"] == "30"
    assert b"Traceback" not in response.content


def test_other_errors_are_a_plain_500_without_traceback():
    response = _handled("/shop/", OperationalError('column "x" does not exist'))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    api = _handled("/api/v1/me/", ValueError("boom"))
    assert (api.status_code, json.loads(api.content)) == (500, {"detail": "Server error."})
