"""``accounts.rawsql``: ``ModelColumns`` with a subset of fields, and ``one_cursor``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.rawsql import ModelColumns, ModelInsert, fetch_all

from .factories import AgentFactory

pytestmark = pytest.mark.django_db


def _read(columns: ModelColumns, user_id: int, extra: str = "") -> list[tuple]:
    return fetch_all(f"SELECT {columns.sql}{extra} FROM {User._meta.db_table} u WHERE u.id = %s", [user_id])  # noqa: S608


def test_every_field_read_equals_the_orm_and_extra_columns_follow_the_width():
    user = AgentFactory(is_away=True, sms_opt_in=False)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(hours=3))
    columns = ModelColumns(User, "u")

    [row] = _read(columns, user.pk, ", u.email, 7")
    loaded = columns.build(row)

    expected = User.objects.get(pk=user.pk)
    assert row[columns.width :] == (user.email, 7)
    assert [getattr(loaded, f.attname) for f in User._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in User._meta.concrete_fields
    ]
    # Converted as the ORM converts (SQLite: aware datetimes and real booleans, not text and 0/1).
    assert loaded.last_login.tzinfo is not None
    assert loaded.is_away is True
    assert loaded.sms_opt_in is False
    assert loaded.get_deferred_fields() == set()


def test_fields_left_out_are_deferred_and_read_in_the_models_order():
    user = AgentFactory(name="Ada Agent")
    columns = ModelColumns(User, "u", fields=["email", "id"])  # asked out of order

    assert columns.attnames == ["id", "email"]
    assert columns.width == 2
    [row] = _read(columns, user.pk, ", 1")
    loaded = columns.build(row)

    assert (loaded.pk, loaded.email, row[columns.width :]) == (user.pk, user.email, (1,))
    assert "name" in loaded.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert loaded.name == "Ada Agent"
    assert len(queries) == 1


def test_unknown_fields_are_refused():
    with pytest.raises(ValueError, match="no_such_field"):
        ModelColumns(User, "u", fields=["email", "no_such_field"])


def test_one_cursor_serves_every_read_inside_it_and_closes_after(monkeypatch):
    from django.db import connections

    from accounts.rawsql import one_cursor

    backend = type(connections["default"])
    created = []
    original = backend.create_cursor
    monkeypatch.setattr(backend, "create_cursor", lambda self, name=None: created.append(1) or original(self, name))
    connection.ensure_connection()

    # Not inside CaptureQueriesContext: with server-side binding (DB_PREPARED_STATEMENTS), the
    # debug cursor's copy of each query opens a cursor of its own to render it.
    with one_cursor():
        first = fetch_all("SELECT 1", [])
        with one_cursor():  # nested: still the outer block's cursor
            second = fetch_all("SELECT 2", [])
        third = fetch_all("SELECT 3", [])

    assert (first, second, third) == ([(1,)], [(2,)], [(3,)])
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


def _field_values(obj) -> list:
    return [getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields]


def test_model_insert_writes_what_the_orm_writes_and_gives_each_instance_its_key():
    from inventory.models import Product
    from inventory.tests.factories import CategoryFactory, ProductFactory, StoreFactory

    store, category = StoreFactory(), CategoryFactory()
    products = [ProductFactory.build(store=store, category=category, supplier=None) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        ModelInsert(Product).insert(products)

    assert len(queries) == 1  # one multi-row INSERT ... RETURNING
    assert len({p.pk for p in products}) == 3
    assert all(p.pk for p in products)
    assert all(not p._state.adding and p._state.db == "default" for p in products)
    for product in products:
        assert product.created_at is not None  # auto_now_add
        assert product.updated_at is not None  # auto_now
        assert _field_values(Product.objects.get(pk=product.pk)) == _field_values(product)


def test_model_insert_leaves_large_batches_to_the_orm(monkeypatch):
    from inventory.models import Product
    from inventory.tests.factories import CategoryFactory, ProductFactory, StoreFactory

    store, category = StoreFactory(), CategoryFactory()
    products = [ProductFactory.build(store=store, category=category, supplier=None) for _ in range(3)]
    insert = ModelInsert(Product)
    monkeypatch.setattr(insert, "MAX_PARAMS", 10)  # fewer than 3 products' values
    called = []
    monkeypatch.setattr(Product.objects, "bulk_create", lambda objs: called.append(objs) or objs)

    insert.insert(products)

    assert called == [products]


def test_insert_unless_conflict_writes_once_and_reports_a_taken_key():
    from accounts.models import Notification

    insert = ModelInsert(Notification)
    first = Notification(channel="email", recipient="a@example.com", body="hi", idempotency_key="k-1")
    again = Notification(channel="email", recipient="b@example.com", body="again", idempotency_key="k-1")

    assert insert.insert_unless_conflict(first) is True
    assert insert.insert_unless_conflict(again) is False

    assert again.pk is None
    assert again._state.adding
    [stored] = Notification.objects.filter(idempotency_key="k-1")
    assert stored.pk == first.pk
    assert stored.recipient == "a@example.com"
    assert stored.created_at is not None
