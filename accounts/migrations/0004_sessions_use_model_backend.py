"""Point signed-in sessions back at Django's ``ModelBackend``, which replaced ``EmailBackend``.

Django keeps the dotted path of the backend that signed a user in inside the session and signs
the user out when that path is no longer in ``AUTHENTICATION_BACKENDS``. ``accounts.backends``
(a ModelBackend that read the user and their roles in one plain-SQL statement) is gone, so
unexpired database sessions that name it get Django's path instead; nothing else changes.
Reversible (the backward step writes the old path back).
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD = "accounts.backends.EmailBackend"
NEW = "django.contrib.auth.backends.ModelBackend"
BACKEND_SESSION_KEY = "_auth_user_backend"  # django.contrib.auth.BACKEND_SESSION_KEY


def _rewrite(apps, schema_editor, old: str, new: str) -> None:
    # Only database sessions are where a migration can reach all of them.
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    Session = apps.get_model("sessions", "Session")
    changed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000):
        data = store.decode(session.session_data)  # {} if it does not verify: left alone
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            changed.append(session)
        if len(changed) >= 500:
            Session.objects.bulk_update(changed, ["session_data"])
            changed = []
    Session.objects.bulk_update(changed, ["session_data"])


def forwards(apps, schema_editor):
    _rewrite(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _rewrite(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_sessions_use_email_backend"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
