"""PostgreSQL: Django's own backend, with timestamps read by psycopg's compiled loader.

Django registers a ``timestamptz`` loader of its own, a Python subclass of psycopg's, so every
timestamp read is parsed in Python (8 µs a value) and then given UTC as its time zone. psycopg's
compiled loader (``psycopg_binary``) parses it in about 1 µs and gives the same value, an aware
datetime with ``datetime.timezone.utc``, when the session's ``TimeZone`` is UTC, which Django sets
on every connection it opens or takes from the pool (``_configure_timezone``). The desk's ticket
page reads about 35 timestamps, its queue page up to 50: 0.2-0.3 ms of each page.

Only where that holds, ``USE_TZ`` on and the connection's zone UTC (no ``TIME_ZONE`` in the
database settings); otherwise this is Django's backend unchanged. Chosen in ``settings.base``
for PostgreSQL ``DATABASE_URL`` values.
"""

from __future__ import annotations

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import adapt
from psycopg.types.datetime import TimestamptzLoader


class DatabaseWrapper(base.DatabaseWrapper):
    def _compiled_timestamps(self) -> bool:
        return bool(settings.USE_TZ and self.timezone_name == "UTC")

    def get_connection_params(self):
        params = super().get_connection_params()
        if self._compiled_timestamps():
            context = adapt.AdaptersMap(params["context"])
            # psycopg registers its compiled version of the loader when there is one.
            context.register_loader("timestamptz", TimestamptzLoader)
            params["context"] = context
        return params

    def create_cursor(self, name=None):
        if not self._compiled_timestamps():
            return super().create_cursor(name)
        # Django's create_cursor() as of 5.2, without its check of the loader's ``timezone``
        # attribute (its own loader's; the compiled one has none and converts to the session's
        # zone, UTC here, itself).
        if not name:
            return self.connection.cursor()
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return base.ServerSideCursor(
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)
