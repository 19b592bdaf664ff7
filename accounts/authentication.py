"""How a log-in attempt is named for brute-force lockout (django-axes' ``AXES_USERNAME_CALLABLE``)."""

from __future__ import annotations

from django.conf import settings


def lockout_username(request, credentials: dict | None) -> str | None:
    """The email address as log-in matches it: stripped and lower-cased.

    Log-in ignores case (``UserManager.get_by_natural_key``), so the lockout must too: otherwise
    five wrong passwords on ``ann@…``, five on ``Ann@…``, five on ``ANN@…`` … never lock the one
    account they all name. Used on every path axes guards: the log-in form, the API's token
    endpoint and the admin's log-in.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        data = getattr(request, "data", None) or request.POST
        username = data.get(field)
    if not isinstance(username, str):
        return username
    return username.strip().lower()
