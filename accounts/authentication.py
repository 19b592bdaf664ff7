"""API token authentication that reads the token and its user in one plain-SQL statement.

DRF's ``TokenAuthentication`` reads them with ``select_related("user")``: compiling that
two-table query costs about 1 ms of Python on every API request, several times what PostgreSQL
takes to answer it (``accounts/rawsql.py``). Same answers: a missing key is "Invalid token.",
an inactive user "User inactive or deleted.", and ``request.auth`` is the ``Token`` with its user.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .rawsql import ModelColumns


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, which does not load the session user when there is no session.

    The signed-in user only ever comes from the session cookie (``AuthenticationMiddleware``), so
    a request without one (an API client with a token, an anonymous visitor) is anonymous here
    and goes on to the token check without building ``request.user``.
    """

    def authenticate(self, request):
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)


class TokenAuthentication(authentication.TokenAuthentication):
    _token_columns = ModelColumns(Token, "t")
    _user_columns = ModelColumns(get_user_model(), "u")
    _sql: str | None = None

    @classmethod
    def _token_and_user_sql(cls) -> str:
        if cls._sql is None:
            qn = connection.ops.quote_name
            user = get_user_model()
            key = qn(Token._meta.get_field("key").column)
            user_id = qn(Token._meta.get_field("user").column)
            # Table and column names come from the models' metadata; the key is a parameter.
            cls._sql = (
                f"SELECT {cls._token_columns.sql}, {cls._user_columns.sql} "  # noqa: S608
                f"FROM {qn(Token._meta.db_table)} t JOIN {qn(user._meta.db_table)} u "
                f"ON u.{qn(user._meta.pk.column)} = t.{user_id} WHERE t.{key} = %s"
            )
        return cls._sql

    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute(self._token_and_user_sql(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = self._token_columns.build(row)
        user = self._user_columns.build(row, self._token_columns.width)
        token.user = user  # as select_related("user") leaves it: no query for token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)


# --- OpenAPI: the session scheme as drf-spectacular names it for DRF's own class ---------------

from drf_spectacular.authentication import SessionScheme as _SessionScheme  # noqa: E402


class SessionScheme(_SessionScheme):
    target_class = "accounts.authentication.SessionAuthentication"
