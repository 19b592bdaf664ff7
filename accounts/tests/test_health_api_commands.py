"""/healthz, the /api/v1/me/ endpoint, seed_demo and the production settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Notification, Store, User
from helpdesk_project import health

from .conftest import DEAD_BROKER_URL, celery_publishing_to

pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "static"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_names_a_down_broker(client):
    with celery_publishing_to(DEAD_BROKER_URL):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False


def test_healthz_names_a_down_cache(client, monkeypatch):
    # A real Redis cache client pointed at a port where nothing listens.
    dead_cache = RedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )
    monkeypatch.setattr(health, "cache", dead_cache)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert "ConnectionError" in body["checks"]["cache"]["error"]


def test_the_embedded_default_serves_pages_and_their_static_files_without_collectstatic(client, settings, tmp_path):
    # Given no collectstatic has run (an empty STATIC_ROOT), with the embedded default's storage
    settings.STATIC_ROOT = str(tmp_path / "never-collected")
    assert settings.STORAGES["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    # Then the pages and /healthz answer 200
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("storefront:catalogue")).status_code == 200
    assert client.get(reverse("healthz")).json()["checks"]["static"] == {"ok": True}


def test_healthz_names_static_files_that_production_pages_would_miss(client, settings, tmp_path):
    # Given production's manifest storage and a release whose collectstatic did not run
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = str(tmp_path / "never-collected")
    settings.WHITENOISE_USE_FINDERS = False
    # Then /healthz answers 503 naming the static files, not "ok" while every page fails
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["static"]
    assert "manifest" in response.json()["checks"]["static"]["error"].lower()


def test_healthz_names_a_down_database(client, monkeypatch):
    def broken():
        raise RuntimeError("database down")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]


def test_api_me_requires_auth_and_returns_own_account(customer):
    api = APIClient()
    response = api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()

    api.force_authenticate(customer)
    body = api.get("/api/v1/me/").json()
    assert body["email"] == customer.email
    assert body["roles"] == ["customer"]


def test_api_me_patch_cannot_change_email_or_roles(customer):
    api = APIClient()
    api.force_authenticate(customer)
    response = api.patch(
        "/api/v1/me/", {"name": "New", "email": "evil@example.com", "is_staff": True, "roles": ["ops"]}, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.is_staff) == ("New", customer.email, False)
    assert customer.role_names == frozenset({"customer"})


def test_api_me_bad_input_is_400_with_detail_and_changes_nothing(customer):
    api = APIClient()
    api.force_authenticate(customer)
    response = api.patch("/api/v1/me/", {"phone": "12", "sms_opt_in": True}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert "phone" in response.json()["errors"]
    customer.refresh_from_db()
    assert (customer.phone, customer.sms_opt_in) == ("", False)


def test_token_auth(customer):
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/", {"username": customer.email, "password": "correct-horse-battery-staple"}, format="json"
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me/").json()["email"] == customer.email


def test_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in docs or "/static/" in docs
    assert "cdn" not in docs.lower()


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Store.objects.count(), Notification.objects.count())
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert (User.objects.count(), Store.objects.count(), Notification.objects.count()) == counts
    assert "nothing changed" in second
    assert "customer@stockdesk.local" in first
    roles = {u.email: set(u.role_names) for u in User.objects.prefetch_related("groups")}
    assert roles["retailer@stockdesk.local"] == {"retailer"}
    assert roles["ops@stockdesk.local"] == {"ops"}
    # Every login seed_demo prints is in the README's table, with its password.
    readme = (settings.BASE_DIR / "README.md").read_text()
    for line in first.split("Demo logins", 1)[1].splitlines()[1:]:
        words = line.split()
        if len(words) == 3 and ".." not in words[1]:
            _role, email, password = words
            assert f"| {email} | {password} |" in readme, line
    assert "customer01@stockdesk.local … customer20@stockdesk.local | stockdesk-customer |" in readme


def test_send_pending_notifications_command_rejects_negative_age():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="0 or more"):
        call_command("send_pending_notifications", "--older-than", "-1")


def _run_production_check(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.production", **env_overrides})
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_secrets(missing):
    env = {"SECRET_KEY": "x" * 64, "ALLOWED_HOSTS": "shop.example.com"}
    del env[missing]
    result = _run_production_check(**env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_check_deploy_is_clean():
    result = _run_production_check(SECRET_KEY="k3y-" + "a1b2c3d4e5" * 6, ALLOWED_HOSTS="shop.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_ping_touches_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/ping")
    assert (response.status_code, response.content) == (200, b"pong")
