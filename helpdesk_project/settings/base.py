"""Settings shared by every way of running StockDesk.

With no environment variables at all StockDesk runs *embedded*: SQLite in WAL mode, a
local-memory cache, Celery in eager mode and email/SMS written to files under ``var/``.
Setting ``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switches each part to its
*scaled* counterpart (PostgreSQL with psycopg's pool, Redis, SMTP). See README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is read when present (never committed; see .env.example).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ---------------------------------------------------------------------------
# The default key is for local use only; production.py refuses to start without one.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-stockdesk-local-development-key-only")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "StockDesk"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "import_export",
    "sorl.thumbnail",
    # ours
    "accounts",
    "inventory",
    "tickets",
    "chatbot",
    "webhooks",
    # Project-wide management commands that touch every app (seed_demo, seed_scaled).
    "helpdesk_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk_project.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk_project.urls"
WSGI_APPLICATION = "helpdesk_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
    # instead of failing with "database is locked" when one upgrades a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    if env.bool("DB_POOL", default=True):
        # psycopg 3's pool (Django's documented "pool" option); Django requires CONN_MAX_AGE = 0 with it.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=2),
            "max_size": env.int("DB_POOL_MAX", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "stockdesk",
            "OPTIONS": {
                # The cache only ever holds copies (pages, listings, rate-limit counters): while Redis
                # is unreachable, reads miss and writes are dropped instead of failing the request.
                # /healthz still reports the cache as down (helpdesk_project/health.py).
                "IGNORE_EXCEPTIONS": True,
                # Short timeouts: a dead Redis must make a request slower, never hang it.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Sessions stay in the database (Django's default engine), not the cache: while Redis is
    # unreachable the cache drops deletes, so a logout or a rotated session key would come back
    # to life from Redis afterwards. Revocation must not depend on Redis.
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "stockdesk"}}

# --- Content Security Policy ----------------------------------------------------------
# Scripts only from our own origin (no inline scripts, no CDN): a stored-XSS payload that
# slips through escaping still cannot run. Inline style attributes stay allowed (Bootstrap
# and the admin use them); product images may be external https URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Auth ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's own; User.objects.get_by_natural_key matches the email case-insensitively.
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first, as Django's password docs recommend: memory-hard (100 MiB per hash with Django's
# defaults) and, measured on this 2-core machine, 0.27 s of CPU per hash against 0.60 s for
# PBKDF2-SHA256 at Django 5.2's 1,000,000 iterations, so sign-ups and log-ins in a rush take less
# than half the CPU for a stronger hash. The others stay listed so existing hashes still verify;
# Django rehashes them with Argon2 at the next successful log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Brute-force lockout: 5 failures for one username from one address lock that pair out
# for 15 minutes. Locking on the pair (not the username alone) stops a stranger from
# locking a customer out of their own account from elsewhere.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_USERNAME_FORM_FIELD = "username"
# Failures count on the address as log-in matches it (case-insensitively), on every log-in path.
AXES_USERNAME_CALLABLE = "accounts.authentication.lockout_username"
AXES_VERBOSE = False

# --- I18N ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True
STOCKDESK_CURRENCY = env("STOCKDESK_CURRENCY", default="EUR")

# --- Static and media ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Product images (inventory/images.py): uploads larger than this or with more pixels are refused.
PRODUCT_IMAGE_MAX_BYTES = env.int("PRODUCT_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
PRODUCT_IMAGE_MAX_PIXELS = env.int("PRODUCT_IMAGE_MAX_PIXELS", default=25_000_000)
# sorl-thumbnail: thumbnails are written to the default storage; which ones exist is kept in its
# database table with the cache in front (Redis when scaled, so every web process shares it).
THUMBNAIL_KVSTORE = "sorl.thumbnail.kvstores.cached_db_kvstore.KVStore"
THUMBNAIL_PRESERVE_FORMAT = True
THUMBNAIL_QUALITY = 82
THUMBNAIL_PREFIX = "thumbs/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Embedded: plain storage, served by whitenoise straight from the app and project folders, so
    # `migrate` + `seed_demo` + `runserver` serve every page without collectstatic. Production
    # uses hashed, compressed files from collectstatic (settings.production).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email and SMS ------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="StockDesk <no-reply@stockdesk.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Embedded: every delivered email is also a file under var/mail/ (one per message).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER = env("SMS_SENDER", default="StockDesk")
SMS_BACKEND = env(
    "SMS_BACKEND",
    default="accounts.sms.HTTPGatewaySMSBackend" if SMS_GATEWAY_URL else "accounts.sms.FileSMSBackend",
)
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(VAR_DIR / "sms.log"))

# Outbox delivery: attempts before a notification is marked failed, and how long a
# delivery may hold its claim on a row before another worker may take it over.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=300)
NOTIFICATION_REDISPATCH_AFTER_SECONDS = env.int("NOTIFICATION_REDISPATCH_AFTER_SECONDS", default=60)

# --- Tickets ------------------------------------------------------------------------
TICKET_REOPEN_DAYS = env.int("TICKET_REOPEN_DAYS", default=7)
TICKET_AUTOCLOSE_DAYS = env.int("TICKET_AUTOCLOSE_DAYS", default=3)
TICKET_CSAT_LINK_DAYS = env.int("TICKET_CSAT_LINK_DAYS", default=30)
TICKET_ATTACHMENT_MAX_BYTES = env.int("TICKET_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_ATTACHMENTS_PER_MESSAGE = 5
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Customers reply to ticket emails at this address; `fetch_mail` polls its mailbox.
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@stockdesk.local")
TICKET_EMAIL_DEFAULT_QUEUE = env("TICKET_EMAIL_DEFAULT_QUEUE", default="general")
IMAP_URL = env("IMAP_URL", default="")  # imaps://user:password@imap.example.com:993/INBOX
# Inbound mail's From: can be forged. The receiving mail server checks SPF, DKIM and DMARC and
# writes its verdict in an Authentication-Results header that starts with its authserv-id
# (e.g. "mx.example.com"); list the servers whose verdict StockDesk believes. Mail whose sender is
# not verified (a failed check, no verdict from a trusted server, or no trusted server set) is
# held for an agent in the admin ("hold"), or processed anyway ("accept": only where every
# inbound message is known to come from authenticated senders).
INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS = env.list("INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS", default=[])
INBOUND_EMAIL_UNVERIFIED = env("INBOUND_EMAIL_UNVERIFIED", default="hold")
if INBOUND_EMAIL_UNVERIFIED not in ("hold", "accept"):
    raise ImproperlyConfigured("INBOUND_EMAIL_UNVERIFIED must be 'hold' or 'accept'.")

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Eager unless a real broker is configured: embedded StockDesk needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env("CELERY_BROKER_URL", default=""))
)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "accounts.*": {"queue": "notifications"},
    "inventory.forecast*": {"queue": "forecasting"},
}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hang a web request: fail fast when publishing, leave the
# outbox row pending and let the periodic re-dispatch pick it up later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE = {
    "redispatch-pending-webhooks": {
        "task": "webhooks.redispatch_pending",
        "schedule": timedelta(minutes=1),
    },
    "purge-idempotency-keys": {
        "task": "accounts.purge_idempotency_keys",
        "schedule": crontab(minute=40),
    },
    "redispatch-pending-notifications": {
        "task": "accounts.redispatch_pending_notifications",
        "schedule": timedelta(minutes=1),
    },
    "tickets-mark-sla-breaches": {
        "task": "tickets.mark_sla_breaches",
        "schedule": timedelta(minutes=1),
    },
    "tickets-fetch-mail": {
        "task": "tickets.fetch_mail",
        "schedule": timedelta(minutes=1),
    },
    "tickets-autoclose-resolved": {
        "task": "tickets.autoclose_resolved",
        "schedule": crontab(minute=15),
    },
    "purge-old-sent-notifications": {
        "task": "accounts.purge_sent_notifications",
        "schedule": crontab(hour=3, minute=30),
    },
    "inventory-low-stock-digest": {
        "task": "inventory.low_stock_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "inventory-announce-launches": {
        "task": "inventory.announce_launches",
        "schedule": crontab(hour=6, minute=0),
    },
    # After midnight so "yesterday" is complete, before the 07:00 low-stock digest.
    "inventory-forecast-demand-nightly": {
        "task": "inventory.forecast_demand_nightly",
        "schedule": crontab(hour=2, minute=15),
    },
}

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers a request with no or bad credentials by the first class's
    # ``WWW-Authenticate`` header, so integrators get 401 + ``Token`` instead of a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in; endpoints that take files add the multipart parser themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
    },
    "EXCEPTION_HANDLER": "helpdesk_project.api.exception_handler",
}
# Webhooks (webhooks/, docs/api.md): timeout per POST, attempts before a delivery is failed, and
# whether receivers on private/loopback addresses are allowed (never in production).
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# How long an API Idempotency-Key is remembered (accounts.idempotency, docs/api.md).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "StockDesk API",
    "DESCRIPTION": "Inventory, storefront and helpdesk API. Every list is scoped to the caller.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components (``ProductRequest`` / ``Product``): read-only
    # fields stay out of what a client must send, and file fields are ``binary`` uploads.
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids from the path after /api/v1/: ``products``, ``orders_create``.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # drf-spectacular's enum naming first (its default hook), then the error answers of every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk_project.api.add_error_responses",
    ],
    # Served from the sidecar package: the docs work with no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" choice field; name each enum so none is auto-suffixed.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "OrderStatusEnum": "inventory.models.Order.Status",
        "OrderLineStatusEnum": "inventory.models.OrderLine.Status",
        "ReturnStatusEnum": "inventory.models.ReturnRequest.Status",
        "PurchaseOrderStatusEnum": "inventory.models.PurchaseOrder.Status",
        "StockAlertStatusEnum": "inventory.models.StockAlert.Status",
        "ConversationStatusEnum": "chatbot.models.Conversation.Status",
        "ChatFeedbackEnum": "chatbot.models.ChatMessage.Feedback",
        "ForecastStatusEnum": "inventory.models.DemandForecast.Status",
    },
}

# Chat API limits per browser session and per address (a load test from one address raises the latter).
CHATBOT_RATE_SESSION = env("CHATBOT_RATE_SESSION", default="20/min")
CHATBOT_RATE_IP = env("CHATBOT_RATE_IP", default="60/min")
# Sentence vectors of the help-centre texts, shared by every process on this machine so that a
# process start embeds only texts none has embedded before (docs/chatbot.md). Empty: no file.
CHATBOT_VECTOR_CACHE = env("CHATBOT_VECTOR_CACHE", default=str(VAR_DIR / "chatbot-vectors.npz"))

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        # The in-memory broker of embedded mode warns about a missing hostname on every publish.
        "kombu.connection": {"level": "ERROR"},
    },
}
