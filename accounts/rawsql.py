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
from django.db.models.constants import OnConflict
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
    Unlike ``raw()``, nothing is matched per query: ``raw()`` read the cursor's description and
    matched its columns to fields and converters every time (0.15-0.25 ms for a user or a ticket).

    ``fields``: only these fields (by name), still in the model's order; the others are deferred,
    as with ``only()``.
    """

    def __init__(self, model, alias: str | None, *, fields: Iterable[str] | None = None):
        self.model = model
        self.alias = alias
        wanted = None if fields is None else set(fields)
        self._fields = [f for f in model._meta.concrete_fields if wanted is None or f.name in wanted]
        if wanted is not None and len(self._fields) != len(wanted):
            unknown = sorted(wanted - {f.name for f in self._fields})
            raise ValueError(f"not concrete fields of {model.__name__}: {unknown}")
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


class ModelInsert:
    """A multi-row ``INSERT ... RETURNING id`` for one model, without the ORM's insert compiler.

    The same rows and values ``bulk_create()`` writes (each field's ``pre_save`` for
    ``auto_now_add`` and the like, then ``get_db_prep_save``), and like it on PostgreSQL and
    SQLite >= 3.35 each instance gets its new primary key and becomes "saved". Compiling the
    statement through the ORM cost about 0.3-0.6 ms of Python per insert on an order's path
    (three of them); here the column list is built once per model and only values vary. No
    signals are sent, as with ``bulk_create()``. Only for models with an auto primary key.
    """

    def __init__(self, model):
        self.model = model
        meta = model._meta
        self._fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
        self._target: str | None = None

    MAX_PARAMS = 999

    def _table_and_columns(self) -> str:
        """``"table" ("col1", "col2", ...)``, built once (names from the model's metadata)."""
        if self._target is None:
            qn = connection.ops.quote_name
            columns = ", ".join(qn(field.column) for field in self._fields)
            self._target = f"{qn(self.model._meta.db_table)} ({columns})"
        return self._target

    def _values(self, obj) -> list:
        return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in self._fields]

    def _saved(self, obj, pk) -> None:
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias

    def insert_unless_conflict(self, obj) -> bool:
        """INSERT one row unless a unique constraint already holds one like it; True if written.

        ``bulk_create(ignore_conflicts=True)``'s statement (PostgreSQL ``ON CONFLICT DO NOTHING``,
        SQLite ``INSERT OR IGNORE``) with ``RETURNING`` the new key: one round trip, no savepoint,
        no failed statement for the caller's transaction to recover from. Needs a database that
        returns columns from an INSERT (``connection.features.can_return_columns_from_insert``).
        """
        ops = connection.ops
        pk = ops.quote_name(self.model._meta.pk.column)
        sql = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {self._table_and_columns()} "
            f"VALUES ({', '.join(['%s'] * len(self._fields))})"
            f"{ops.on_conflict_suffix_sql(self._fields, OnConflict.IGNORE, None, None)} RETURNING {pk}"
        )
        rows = fetch_all(sql, self._values(obj))
        if not rows:
            return False
        self._saved(obj, rows[0][0])
        return True

    def insert(self, objs: list) -> None:
        if not objs:
            return
        if not connection.features.can_return_rows_from_bulk_insert or len(objs) * len(self._fields) > self.MAX_PARAMS:
            # An SQLite older than 3.35 (no RETURNING), or more values than SQLite's default
            # limit: the ORM, which knows how to batch and to fetch the keys another way.
            self.model._default_manager.bulk_create(objs)
            return
        params = []
        for obj in objs:
            params.extend(self._values(obj))
        row = "(" + ", ".join(["%s"] * len(self._fields)) + ")"
        pk = connection.ops.quote_name(self.model._meta.pk.column)
        # Table and column names come from the model's metadata; every value is a parameter.
        sql = f"INSERT INTO {self._table_and_columns()} VALUES {', '.join([row] * len(objs))} RETURNING {pk}"  # noqa: S608
        rows = fetch_all(sql, params)
        for obj, (value,) in zip(objs, rows, strict=True):
            self._saved(obj, value)
