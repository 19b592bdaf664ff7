"""The password backend that loads a signed-in user with their roles in one query, the plain-SQL
session read, and the migration that moved existing sessions to the backend."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.backends import PATH, EmailBackend
from accounts.models import Role, User
from accounts.sessions import SessionStore

from .factories import PASSWORD, AgentFactory, CustomerFactory, OpsFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0003_sessions_use_email_backend")


def test_get_user_reads_the_user_and_every_role_in_one_query():
    user = AgentFactory()
    user.groups.add(Group.objects.get(name=Role.OPS))

    with CaptureQueriesContext(connection) as queries:
        loaded = EmailBackend().get_user(user.pk)
        roles = loaded.role_names
        flags = (loaded.is_agent, loaded.is_ops, loaded.is_customer)

    assert len(queries) == 1
    assert loaded == user
    assert roles == frozenset({Role.AGENT, Role.OPS})
    assert flags == (True, True, False)
    assert loaded.password == user.password  # the session hash is checked against it
    assert not hasattr(loaded, "_role")


def test_get_user_without_roles_and_refusals():
    user = CustomerFactory()
    user.groups.clear()
    assert EmailBackend().get_user(user.pk).role_names == frozenset()

    inactive = AgentFactory(is_active=False)
    assert EmailBackend().get_user(inactive.pk) is None
    assert EmailBackend().get_user(user.pk + 1000) is None
    assert EmailBackend().get_user("1 OR 1=1") is None
    assert EmailBackend().get_user(None) is None


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


def test_session_read_skips_expired_and_tampered_sessions(client, settings):
    ops = OpsFactory()
    key = _session(ops, PATH)
    assert SessionStore(key).load()[SESSION_KEY] == str(ops.pk)

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None  # a new key is made if this session is saved

    key = _session(ops, PATH)
    Session.objects.filter(session_key=key).update(session_data="tampered:data")
    assert SessionStore(key).load() == {}
    assert SessionStore("no-such-key-000000000000000000").load() == {}
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get(reverse("tickets:desk")).status_code == 302
