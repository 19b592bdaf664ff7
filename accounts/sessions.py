"""Database sessions (``SESSION_ENGINE``), read in plain SQL.

The same table, format and behaviour as ``django.contrib.sessions.backends.db`` (whose class this
is, so saving, rotating and deleting are Django's own); only the read that every signed-in request
makes goes through one hand-written ``SELECT`` instead of an ORM ``get()``, which cost twice as
much Python (``accounts/rawsql.py``). Sessions stay in the database, not the cache: see
``settings.base`` on why revocation must not depend on Redis.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from .rawsql import fetch_all


class SessionStore(DatabaseSessionStore):
    _sql: str | None = None

    def load(self):
        if SessionStore._sql is None:
            table = connection.ops.quote_name(self.model._meta.db_table)
            # Unexpired sessions only, as the ORM read: an expired row is as good as none.
            SessionStore._sql = f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s"  # noqa: S608
        rows = fetch_all(
            SessionStore._sql,
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if not rows:
            self._session_key = None
            return {}
        return self.decode(rows[0][0])
