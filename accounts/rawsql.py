"""Plain SQL for the few hottest reads, the same on PostgreSQL and SQLite.

Building a query through the ORM costs 0.4-1 ms of Python (resolving lookups, joins, compiling)
where PostgreSQL answers it in 0.1-0.3 ms; on pages that run on every agent click and need a
fixed handful of joins, that compiling was most of the page. These helpers run a hand-written
``SELECT`` with ``%s`` parameters (never interpolated values) through Django's own connection,
so transactions, the pool and the test database's query capture all still apply.

Write SQL that both databases read the same way: plain joins, ``ORDER BY`` on real columns,
booleans compared with a parameter, table names from the models' ``_meta``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime


def fetch_all(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def aware(value) -> datetime | None:
    """A datetime column as the ORM would give it: aware, in UTC.

    psycopg returns aware datetimes already; SQLite stores naive UTC text, which Django's
    ``datetime`` converter parses to a naive datetime (or leaves as text outside a table column).
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
