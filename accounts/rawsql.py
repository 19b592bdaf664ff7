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

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_datetime

_shared_cursor: ContextVar = ContextVar("rawsql_shared_cursor", default=None)


@contextlib.contextmanager
def one_cursor() -> Iterator[None]:
    """Run the ``fetch_all()`` calls inside the block on one cursor.

    A page that makes several plain-SQL reads in a row (the desk's ticket page: five) otherwise
    opens a cursor for each, and psycopg looks up the loaders of every result column again for
    each new cursor: 0.03-0.04 ms of Python a read. Nested blocks use the outer block's cursor;
    ORM queries inside the block are not affected.
    """
    if _shared_cursor.get() is not None:
        yield
        return
    with connection.cursor() as cursor:
        token = _shared_cursor.set(cursor)
        try:
            yield
        finally:
            _shared_cursor.reset(token)


def fetch_all(sql: str, params: list) -> list[tuple]:
    cursor = _shared_cursor.get()
    if cursor is not None:
        cursor.execute(sql, params)
        return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class ModelRows:
    """Model instances from a plain-SQL read, built as ``QuerySet.raw()`` builds them, without the
    work ``raw()`` repeats for every query: reading the cursor's description (a ``Column`` object
    per column), matching the columns to the model's fields and looking up each field's converters.
    On the pages that read a user or a ticket this way that was 0.15-0.25 ms of Python per query.

    ``fields``: the model fields the SQL selects first (``None``: every concrete field), always in
    the model's own field order, which ``select_list()`` writes; any further columns of a row come
    back beside the instance, unconverted. Fields left out are deferred, as with ``only()``.
    Converters (SQLite's datetimes and booleans, a field's ``from_db_value``) are looked up once
    per database vendor and applied as the ORM applies them.
    """

    def __init__(self, model: type[Model], fields: Iterable[str] | None = None):
        wanted = None if fields is None else set(fields)
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if wanted is None or f.name in wanted]
        if wanted is not None and len(self.fields) != len(wanted):
            unknown = wanted - {f.name for f in self.fields}
            raise ValueError(f"not concrete fields of {model.__name__}: {sorted(unknown)}")
        self.attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}

    def select_list(self, alias: str) -> str:
        """The fields' columns, qualified by the table's ``alias``, for the start of a SELECT list."""
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for_connection(self) -> list:
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    converters.append((index, found, column))
            self._converters[connection.vendor] = converters
        return converters

    def read(self, sql: str, params: list) -> list[tuple[Model, tuple]]:
        """Run ``sql``; for each row, the instance and the row's further columns."""
        rows = fetch_all(sql, params)
        if not rows:
            return []
        count, attnames, db = len(self.fields), self.attnames, connection.alias
        converters = self._converters_for_connection()
        from_db = self.model.from_db
        read = []
        for row in rows:
            values = list(row[:count])
            for index, functions, column in converters:
                value = values[index]
                for function in functions:
                    value = function(value, column, connection)
                values[index] = value
            read.append((from_db(db, attnames, values), row[count:]))
        return read


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


class ModelColumns:
    """A model's concrete columns in a plain-SQL ``SELECT``, and the instances built from them.

    ``sql`` is the column list under a table alias (``p."id", p."name", ...``, the fields' order;
    unqualified names without an alias, as ``UPDATE ... RETURNING`` on SQLite needs them);
    ``build(row, start)`` turns ``row[start:start + width]`` into an instance as the ORM would
    (the database's converters applied: SQLite's decimals, datetimes; none on PostgreSQL), so a
    query can read several models (a join) in one round trip without compiling a queryset.
    """

    def __init__(self, model, alias: str | None):
        self.model = model
        self.alias = alias
        self._fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in self._fields]
        self.width = len(self._fields)
        self._sql: str | None = None
        self._converters: list[tuple[int, list, object]] | None = None

    @property
    def sql(self) -> str:
        if self._sql is None:
            qn = connection.ops.quote_name
            prefix = f"{self.alias}." if self.alias else ""
            self._sql = ", ".join(f"{prefix}{qn(field.column)}" for field in self._fields)
        return self._sql

    def _converters_for_connection(self) -> list[tuple[int, list, object]]:
        # What the ORM's compiler would apply to each column (``SQLCompiler.get_converters``).
        if self._converters is None:
            converters = []
            for index, field in enumerate(self._fields):
                col = field.get_col(self.alias or self.model._meta.db_table)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((index, found, col))
            self._converters = converters
        return self._converters

    def build(self, row, start: int = 0):
        values = list(row[start : start + self.width])
        for index, converters, col in self._converters_for_connection():
            value = values[index]
            for converter in converters:
                value = converter(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)
