"""The PostgreSQL backend (``accounts.postgresql``): psycopg's compiled timestamp loader must read
exactly what Django's own loader reads."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend only"),
]

VALUES = [
    "2026-03-29 00:30:00+00",
    "2026-10-25 01:59:59.999999+02",  # the night the clocks go back in Amsterdam
    "1999-12-31 23:00:00-05:30",
    "0001-01-01 00:00:00+00",
    None,
]


def test_timestamps_are_read_as_djangos_own_loader_reads_them():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader, register_tzloader

    sql = "SELECT " + ", ".join(["%s::timestamptz"] * len(VALUES))
    with connection.cursor() as cursor:
        cursor.execute(sql, VALUES)
        ours = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(1184, 0)
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own, on this cursor only
        cursor.execute(sql, VALUES)
        djangos = cursor.fetchone()

    assert connection.timezone_name == "UTC"
    assert not issubclass(loader, BaseTzLoader)
    assert ours == djangos
    assert [value.tzinfo for value in ours[:-1]] == [UTC] * 4
    assert [value.isoformat() for value in ours[:-1]] == [value.isoformat() for value in djangos[:-1]]
    assert ours[-1] is None


def test_the_orm_reads_back_what_it_wrote():
    from django.utils import timezone

    from accounts.tests.factories import CustomerFactory

    written = timezone.now().replace(microsecond=123456)
    user = CustomerFactory(last_login=written)
    user.refresh_from_db()
    assert user.last_login == written
    assert user.last_login.tzinfo is UTC


def test_djangos_loader_stays_where_the_connection_is_not_utc():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    backend = type(connections["default"])
    utc = backend(dict(connection.settings_dict), alias="utc")
    amsterdam = backend({**connection.settings_dict, "TIME_ZONE": "Europe/Amsterdam"}, alias="amsterdam")

    assert utc._compiled_timestamps()
    assert not issubclass(utc.get_connection_params()["context"].get_loader(1184, 0), BaseTzLoader)
    assert not amsterdam._compiled_timestamps()
    assert issubclass(amsterdam.get_connection_params()["context"].get_loader(1184, 0), BaseTzLoader)
