"""Signing in with Django's ModelBackend and database sessions, and the migration that moved the
sessions of the removed ``accounts.backends.EmailBackend`` back to it."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from .factories import PASSWORD, AgentFactory, CustomerFactory

PATH = "django.contrib.auth.backends.ModelBackend"

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0004_sessions_use_model_backend")


def test_signed_in_pages_use_the_backend_and_a_password_change_signs_out(client):
    user = CustomerFactory()
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert client.session[BACKEND_SESSION_KEY] == PATH
    assert client.get(reverse("accounts:profile")).status_code == 200

    user.set_password("another-long-passphrase")
    user.save()
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302  # to the log-in page: the session no longer verifies
    assert reverse("accounts:login") in response["Location"]


def test_a_wrong_password_is_hashed_once(client, monkeypatch):
    """One password backend only: a failed log-in costs one hash, not one per backend."""
    user = CustomerFactory()
    calls = []
    original = User.check_password
    monkeypatch.setattr(User, "check_password", lambda self, raw: calls.append(raw) or original(self, raw))

    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong-password-1"})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert calls == ["wrong-password-1"]


def _session(user: User, backend: str, *, expires_in=timedelta(days=1)) -> str:
    store = SessionStore()
    store.update(
        {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
    )
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def _backend_of(key: str) -> str | None:
    return SessionStore().decode(Session.objects.get(session_key=key).session_data).get(BACKEND_SESSION_KEY)


def test_migration_moves_model_backend_sessions_and_keeps_them_signed_in(client, settings):
    agent = AgentFactory()
    old = _session(agent, migration.OLD)
    other = _session(agent, "some.other.Backend")
    expired = _session(agent, migration.OLD, expires_in=timedelta(days=-1))
    client.cookies[settings.SESSION_COOKIE_NAME] = old
    assert client.get(reverse("tickets:desk")).status_code == 302  # the old path is no longer accepted

    migration.forwards(apps, None)

    assert _backend_of(old) == PATH
    assert _backend_of(other) == "some.other.Backend"
    assert _backend_of(expired) == migration.OLD  # expired sessions are left as they are
    client.cookies[settings.SESSION_COOKIE_NAME] = old
    assert client.get(reverse("tickets:desk")).status_code == 200

    migration.backwards(apps, None)
    assert _backend_of(old) == migration.OLD
