"""``accounts.rawsql.ModelRows``: plain-SQL rows as the model instances the ORM would build."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.rawsql import ModelRows

from .factories import AgentFactory

pytestmark = pytest.mark.django_db


def _sql(rows: ModelRows, extra: str = "") -> str:
    return f"SELECT {rows.select_list('u')}{extra} FROM {User._meta.db_table} u WHERE u.id = %s"  # noqa: S608


def test_every_field_read_equals_the_orm_and_extra_columns_come_back_beside_it():
    user = AgentFactory(is_away=True, sms_opt_in=False)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(hours=3))
    rows = ModelRows(User)

    with CaptureQueriesContext(connection) as queries:
        [(loaded, extra)] = rows.read(_sql(rows, ", u.email, 7"), [user.pk])

    expected = User.objects.get(pk=user.pk)
    assert len(queries) == 1
    assert extra == (user.email, 7)
    assert [getattr(loaded, f.attname) for f in User._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in User._meta.concrete_fields
    ]
    # Converted as the ORM converts (SQLite: aware datetimes and real booleans, not text and 0/1).
    assert loaded.last_login.tzinfo is not None
    assert loaded.is_away is True
    assert loaded.sms_opt_in is False
    assert (loaded._state.adding, loaded._state.db) == (False, "default")
    assert loaded.get_deferred_fields() == set()


def test_fields_left_out_are_deferred_and_read_in_the_models_order():
    user = AgentFactory(name="Ada Agent")
    rows = ModelRows(User, ["email", "id"])  # asked out of order

    assert rows.attnames == ["id", "email"]
    [(loaded, extra)] = rows.read(_sql(rows), [user.pk])

    assert (loaded.pk, loaded.email, extra) == (user.pk, user.email, ())
    assert "name" in loaded.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert loaded.name == "Ada Agent"
    assert len(queries) == 1


def test_no_row_reads_nothing_and_unknown_fields_are_refused():
    rows = ModelRows(User)
    assert rows.read(_sql(rows), [0]) == []
    with pytest.raises(ValueError, match="no_such_field"):
        ModelRows(User, ["email", "no_such_field"])


def test_one_cursor_serves_every_read_inside_it_and_closes_after(monkeypatch):
    from django.db import connections

    from accounts.rawsql import fetch_all, one_cursor

    backend = type(connections["default"])
    created = []
    original = backend.create_cursor
    monkeypatch.setattr(backend, "create_cursor", lambda self, name=None: created.append(1) or original(self, name))
    connection.ensure_connection()

    with CaptureQueriesContext(connection) as queries, one_cursor():
        first = fetch_all("SELECT 1", [])
        with one_cursor():  # nested: still the outer block's cursor
            second = fetch_all("SELECT 2", [])
        third = fetch_all("SELECT 3", [])

    assert (first, second, third) == ([(1,)], [(2,)], [(3,)])
    assert len(queries) == 3
    assert len(created) == 1
    assert fetch_all("SELECT 4", []) == [(4,)]  # after the block: a cursor of its own again
    assert len(created) == 2

    def fails_inside():
        with one_cursor():
            fetch_all("SELECT 5", [])
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails_inside()
    assert fetch_all("SELECT 6", []) == [(6,)]
    assert len(created) == 4
