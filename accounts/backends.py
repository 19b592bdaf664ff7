"""The password backend: Django's ``ModelBackend`` whose per-request user load also reads the roles.

Every signed-in page loads the user from the session (``get_user``), and almost every page then
asks for the roles (the navbar, ``is_agent``, ``is_ops``), which was a second query. Here one
statement reads both: the user's row joined to its groups, one row per role. In plain SQL
(``accounts.rawsql.ModelColumns``) rather than a queryset or ``raw()``, because compiling even a
one-table ORM query, or matching ``raw()``'s columns to fields, costs more Python than PostgreSQL
takes to answer it, and this runs on every signed-in request.

Log-ins (``authenticate``), permissions and everything else are ModelBackend's own. Sessions
store this class's dotted path; migration ``accounts.0003`` rewrote the sessions that named
``django.contrib.auth.backends.ModelBackend`` so nobody was signed out by the switch.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from .rawsql import ModelColumns, fetch_all

PATH = "accounts.backends.EmailBackend"


def _user_with_roles_sql(columns: ModelColumns) -> str:
    user = columns.model
    groups = user._meta.get_field("groups")
    qn = connection.ops.quote_name
    users, links, roles = (qn(m._meta.db_table) for m in (user, groups.remote_field.through, groups.related_model))
    user_id, link_user, link_group = (
        qn(user._meta.pk.column),
        qn(groups.m2m_column_name()),
        qn(groups.m2m_reverse_name()),
    )
    # Table and column names come from the models' metadata, never from input; the id is a parameter.
    return f"""
        SELECT {columns.sql}, g.name FROM {users} u
        LEFT JOIN {links} ug ON ug.{link_user} = u.{user_id}
        LEFT JOIN {roles} g ON g.id = ug.{link_group}
        WHERE u.{user_id} = %s
    """  # noqa: S608


class EmailBackend(ModelBackend):
    _columns: ModelColumns | None = None
    _sql: str | None = None

    def get_user(self, user_id):
        if EmailBackend._sql is None:
            EmailBackend._columns = ModelColumns(get_user_model(), "u")
            EmailBackend._sql = _user_with_roles_sql(EmailBackend._columns)
        try:
            rows = fetch_all(EmailBackend._sql, [int(user_id)])
        except (TypeError, ValueError):
            return None
        if not rows:
            return None
        columns = EmailBackend._columns
        user = columns.build(rows[0])
        # Filling the cached property: User.role_names would otherwise query the groups again.
        user.role_names = frozenset(row[columns.width] for row in rows if row[columns.width] is not None)
        return user if self.user_can_authenticate(user) else None
