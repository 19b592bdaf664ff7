"""The anonymous visitor's chat identity: a random token kept in the session's data.

Not the session key: Django changes the key at login (``cycle_key``) but keeps the data, so the
conversation a visitor started before logging in is still theirs afterwards (and is then claimed
for their account).
"""

from __future__ import annotations

import secrets

SESSION_KEY = "chat_visitor"


def visitor_token(request, *, create: bool = False) -> str:
    session = getattr(request, "session", None)
    if session is None:
        return ""
    token = session.get(SESSION_KEY, "")
    if not token and create:
        token = secrets.token_urlsafe(24)
        session[SESSION_KEY] = token
    return token
