"""Settings for the test suite: the embedded defaults, made fast and hermetic.

``DATABASE_URL`` and ``REDIS_URL`` still switch the suite onto PostgreSQL and Redis (CI
runs it both ways). Tasks run eagerly unless a test starts a real worker.
"""

import os

os.environ.setdefault("AXES_ENABLED", "true")

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "accounts.sms.LocMemSMSBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = str(VAR_DIR / "test-media")
# No shared vector file: a test that wants one points this at its own tmp_path.
CHATBOT_VECTOR_CACHE = ""
# The pool keeps connections across threads; tests that race threads want one
# connection per thread and a clean close, so the suite runs without it.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"].pop("pool", None)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/min", "user": "10000/min"}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# Threads racing for stock each need their own connection to one database: pytest-django's
# default for SQLite is a shared in-memory database, whose table locks fail at once instead
# of waiting on the busy timeout. A file (per worktree, under var/) behaves like production.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
