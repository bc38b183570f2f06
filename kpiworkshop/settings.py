"""kpiworkshop settings: one module, every value from the environment.

Defaults give a self-contained development instance (SQLite, tasks run in-process, console
e-mail). Production sets DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL,
CELERY_BROKER_URL and CACHE_URL; see docs/operations.md.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="dev-only-insecure-key-set-DJANGO_SECRET_KEY-in-production-0123456789abcdef",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base used in join links and QR codes when the request host is not the public one.
SITE_URL = env("KPIW_SITE_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "ninja",
    "kpiworkshop.core",
    "kpiworkshop.accounts",
    "kpiworkshop.workshops",
    "kpiworkshop.kpis",
    "kpiworkshop.datasets",
    "kpiworkshop.voting",
    "kpiworkshop.mapping",
    "kpiworkshop.approval",
    "kpiworkshop.catalog",
    "kpiworkshop.reviews",
    "kpiworkshop.runsheet",
    # Last: the project package itself, for commands that span the apps (seed_demo).
    "kpiworkshop.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compress to a fifth (a phone on a crowded Wi-Fi). Django masks the CSRF token per
    # response and pads the gzip header at random (BREACH); WhiteNoise's files come compressed.
    # Django's middleware, large pages at gzip's fastest level (core/gzip.py says why).
    "kpiworkshop.core.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, handing the session to the backend: the user read with the session row.
    "kpiworkshop.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kpiworkshop.urls"
WSGI_APPLICATION = "kpiworkshop.wsgi.application"
ASGI_APPLICATION = "kpiworkshop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # kpiw_url: Django's {% url %}, each reversal remembered per process.
            "builtins": [
                "template_partials.templatetags.partials",
                "kpiworkshop.core.templatetags.kpiw_url",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default, tuned for many short concurrent writes (a room of phones voting):
# WAL lets readers proceed during a write, IMMEDIATE takes the write lock at BEGIN so two
# writers queue instead of failing on lock upgrade, and the busy timeout makes them wait.
SQLITE_PATH = env("KPIW_SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))
# The same tuning whichever way SQLite is chosen (the default path or DATABASE_URL=sqlite:///…):
# without it 20 simultaneous approvals answered "database is locked" (issue 17).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
    ),
}
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, its health check asking the socket before it sends SELECT 1: no
        # round trip per request for a healthy connection (kpiworkshop/core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "kpiworkshop.core.postgresql"
    # PostgreSQL plans each statement once per connection: the parameters travel apart from
    # the SQL (server-side binding) and psycopg prepares a statement from its second run on
    # a connection (prepare_threshold). Our pages run the same few statements on every
    # request; parsing and planning them again cost up to half of their database time
    # (docs/benchmarks.md, "Prepared statements on PostgreSQL"). Behind PgBouncer in
    # transaction mode set KPIW_PG_PREPARE=0 (prepared statements live on one connection).
    if "postgresql" in DATABASES["default"]["ENGINE"] and env.bool("KPIW_PG_PREPARE", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=env.int("KPIW_PG_PREPARE_THRESHOLD", default=2),
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Keep each thread's connection: opening one and running the PRAGMAs per request
            # costs more than most of our pages.
            "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=600),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": env("KPIW_SQLITE_TEST_PATH", default=None)},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS | DATABASES["default"].get("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, throttles). Use Redis in production: CACHE_URL=redis://… -----------
# The cache is an optimisation, never a dependency of correctness (docs/operations.md, "When
# Redis or a worker fails"): a dead Redis must cost milliseconds, not seconds, so connections
# and reads time out fast and a failed command is not retried inside the request.
KPIW_REDIS_TIMEOUT = env.float("KPIW_REDIS_TIMEOUT", default=0.25)
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://kpiworkshop")}
KPIW_REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": KPIW_REDIS_TIMEOUT,
    "socket_timeout": KPIW_REDIS_TIMEOUT,
    "retry": Retry(NoBackoff(), 0),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # "default" answers "not cached" instead of failing, and pauses KPIW_CACHE_RETRY_SECONDS
    # after an error; "strict" is the same Redis through Django's plain backend, for the code
    # that must know the cache failed (the join throttle, /healthz). See core/cache.py.
    from kpiworkshop.core.cache import redis_caches

    _options = CACHES["default"].get("OPTIONS", {}) | KPIW_REDIS_CACHE_OPTIONS
    CACHES = redis_caches(CACHES["default"]["LOCATION"], _options)
else:
    CACHES["strict"] = CACHES["default"]  # in-process: the same store (same location)
KPIW_CACHE_RETRY_SECONDS = env.float("KPIW_CACHE_RETRY_SECONDS", default=5)
# Signed-in pages read their session from Redis (one query fewer per request) when the cache
# is Redis, shared by every process; with the in-process cache, from the database alone.
# accounts/sessions.py says why, and how a Redis outage is handled.
from kpiworkshop.accounts.sessions import session_engine_for  # noqa: E402

SESSION_ENGINE = env("SESSION_ENGINE", default=session_engine_for(CACHES))

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, with the signed-in user read by a statement compiled once
# (accounts/backends.py); Django's own after it only for sessions signed in before it.
AUTHENTICATION_BACKENDS = [
    "kpiworkshop.accounts.backends.ModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# en-gb shares the English texts (no catalogue of its own) but has its own date formats, so a
# British browser reads 30/11/2026, not 11/30/2026. The language switch offers EN and IT only.
LANGUAGES = [("en", _("English")), ("en-gb", _("English (UK)")), ("it", _("Italian"))]
# Our own format overrides first (kpiworkshop/formats/<lang>/formats.py), then Django's.
FORMAT_MODULE_PATH = ["kpiworkshop.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("KPIW_TIME_ZONE", default="Europe/Rome")
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("KPIW_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env("KPIW_MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("KPIW_MANIFEST_STATIC", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from static/ unless production ran collectstatic with hashed names.
WHITENOISE_USE_FINDERS = env.bool(
    "KPIW_WHITENOISE_FINDERS", default=not env.bool("KPIW_MANIFEST_STATIC", default=False)
)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kpiworkshop <noreply@localhost>")
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- Celery ---------------------------------------------------------------------------------
# Without a broker, tasks run eagerly in-process so `make run` needs nothing else.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="kpiworkshop")
# Publishing a message must never hold a request: short connection and socket timeouts, no
# retry loop. A message that cannot be sent is not lost: the work is a row in the outbox
# (kpiworkshop/core/outbox.py) and the sweep below sends it again.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    # An unacknowledged message (its worker was killed) is redelivered after this long; the
    # outbox sweep usually runs the work sooner, once the row's claim has expired.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_PUBLISH_RETRY = False
# Nothing reads task results: the database rows are the results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "kpiworkshop.core.tasks.outbox_sweep",
        "schedule": env.float("KPIW_OUTBOX_SWEEP_SECONDS", default=10.0),
    },
    # Export files no export references (failed or killed publish attempts; issue 17).
    "catalog-export-files-sweep": {
        "task": "kpiworkshop.catalog.tasks.export_files_sweep",
        "schedule": env.float("KPIW_EXPORT_SWEEP_SECONDS", default=3600.0),
    },
    # Catalogue review reminders (issue 10): idempotent, so running it often costs nothing.
    "catalog-review-reminders": {
        "task": "kpiworkshop.reviews.tasks.review_reminders_send",
        "schedule": env.float("KPIW_REVIEW_REMINDER_SECONDS", default=3600.0),
    },
}

# Worker and beat liveness for /healthz (kpiworkshop/core/heartbeat.py): beat sends a heartbeat
# task this often and records its own; a worker heartbeat older than the stale limit makes
# /healthz answer 503 when a broker is configured.
KPIW_HEARTBEAT_SECONDS = env.float("KPIW_HEARTBEAT_SECONDS", default=15.0)
KPIW_HEARTBEAT_STALE_SECONDS = env.float("KPIW_HEARTBEAT_STALE_SECONDS", default=120.0)
CELERY_BEAT_SCHEDULER = "kpiworkshop.core.heartbeat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE["worker-heartbeat"] = {
    "task": "kpiworkshop.core.tasks.heartbeat",
    "schedule": KPIW_HEARTBEAT_SECONDS,
    "options": {"expires": KPIW_HEARTBEAT_SECONDS},
}

# --- Outbox (kpiworkshop/core/outbox.py) -----------------------------------------------------
# A claimed row is left alone this long after its last heartbeat; a running task's heartbeat
# renews the claim every KPIW_OUTBOX_HEARTBEAT_SECONDS, so a killed worker's row is picked up
# again by the next sweep after the lease lapses (about 30 s with the defaults), however long
# the task's time limit.
KPIW_OUTBOX_LEASE_SECONDS = env.int("KPIW_OUTBOX_LEASE_SECONDS", default=20)
KPIW_OUTBOX_HEARTBEAT_SECONDS = env.float(
    "KPIW_OUTBOX_HEARTBEAT_SECONDS", default=max(1.0, KPIW_OUTBOX_LEASE_SECONDS / 4)
)
# In the embedded set-up (no broker), work that must not hold the request (publishing) runs in
# a thread of its own after the commit (core/outbox.py).
KPIW_OUTBOX_THREADS = env.bool("KPIW_OUTBOX_THREADS", default=True)
# The sweep leaves rows younger than this to their own wake-up message.
KPIW_OUTBOX_SWEEP_GRACE_SECONDS = env.int("KPIW_OUTBOX_SWEEP_GRACE_SECONDS", default=30)
KPIW_OUTBOX_MAX_ATTEMPTS = env.int("KPIW_OUTBOX_MAX_ATTEMPTS", default=8)
# Publishing (catalog/exports/pdfpack.py): a release with at least KPIW_PDF_PARALLEL_FROM KPIs has
# half of its PDF chapters laid out by a second process (1 process: everything in the worker's own).
KPIW_PDF_PROCESSES = env.int("KPIW_PDF_PROCESSES", default=min(2, os.cpu_count() or 1))
KPIW_PDF_PARALLEL_FROM = env.int("KPIW_PDF_PARALLEL_FROM", default=60)
# The publish build's soft time limit: this many seconds plus so many per KPI (the hard limit
# a minute later), instead of the general CELERY_TASK_SOFT_TIME_LIMIT; and how many attempts
# (failures or lost workers) before a publish is marked failed.
KPIW_PUBLISH_TIME_LIMIT = env.int("KPIW_PUBLISH_TIME_LIMIT", default=300)
KPIW_PUBLISH_SECONDS_PER_KPI = env.float("KPIW_PUBLISH_SECONDS_PER_KPI", default=1.0)
KPIW_PUBLISH_ATTEMPTS = env.int("KPIW_PUBLISH_ATTEMPTS", default=3)

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Product settings -------------------------------------------------------------------------
# Secret ballots: a stakeholder group with fewer voters is never shown on its own (and nothing
# shown lets its votes be derived); see voting.selectors.result_blocks. Never below 2.
KPIW_SECRET_MIN_GROUP = max(2, env.int("KPIW_SECRET_MIN_GROUP", default=3))
KPIW_JOIN_MAX_FAILURES_PER_DEVICE = env.int("KPIW_JOIN_MAX_FAILURES_PER_DEVICE", default=10)
KPIW_JOIN_MAX_FAILURES_PER_ADDRESS = env.int("KPIW_JOIN_MAX_FAILURES_PER_ADDRESS", default=60)
KPIW_JOIN_MAX_FAILURES_PER_CODE = env.int("KPIW_JOIN_MAX_FAILURES_PER_CODE", default=30)
KPIW_JOIN_FAILURE_WINDOW = env.int("KPIW_JOIN_FAILURE_WINDOW", default=600)
KPIW_GUEST_COOKIE = "kpiw_guest"
KPIW_GUEST_COOKIE_AGE = 60 * 60 * 24 * 120
KPIW_STATUS_POLL_SECONDS = env.int("KPIW_STATUS_POLL_SECONDS", default=3)
# The live signal (core/live.py, static/js/live.js): how often pages ask "changed?" (ms, plus
# up to half of it again at random so a room does not ask in step), how long a shared cache may
# keep a counter (s), and how long each process's own in-memory copy may (s, without Redis).
# While the signal answers, the widgets' own polls (KPIW_STATUS_POLL_SECONDS) wait.
KPIW_LIVE_POLL_MS = env.int("KPIW_LIVE_POLL_MS", default=500)
KPIW_LIVE_CACHE_SECONDS = env.int("KPIW_LIVE_CACHE_SECONDS", default=1)
KPIW_LIVE_LOCAL_SECONDS = env.float("KPIW_LIVE_LOCAL_SECONDS", default=0.2)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production turns these on (docs/operations.md); `check --deploy` is clean with them set.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Preloading is hard to undo (browsers ship the list for months) and binds every subdomain, so
# it stays an explicit opt-in; until an operator opts in, `check --deploy` need not warn.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp; docs/operations.md). Nothing inline: no <script> or
# <style> blocks, no style="" attributes, no eval (htmx is configured without it in base.html).
# Bootstrap's CSS draws its checkboxes and selects with data: SVG images, hence img-src data:.
# Enforced unless KPIW_CSP_REPORT_ONLY is set; DEBUG defaults to report-only so that Django's
# debug pages (inline styles and scripts) still render.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if env.bool("KPIW_CSP_REPORT_ONLY", default=DEBUG):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("KPIW_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Sample datasets (issue 19): the DuckDB sandbox every preview runs in, and the upload limits.
KPIW_DUCKDB_MEMORY_LIMIT = env("KPIW_DUCKDB_MEMORY_LIMIT", default="512MB")
KPIW_DUCKDB_THREADS = env.int("KPIW_DUCKDB_THREADS", default=2)
KPIW_DUCKDB_TIMEOUT_SECONDS = env.float("KPIW_DUCKDB_TIMEOUT_SECONDS", default=5.0)
KPIW_DATASET_MAX_BYTES = env.int("KPIW_DATASET_MAX_BYTES", default=200 * 1024 * 1024)
KPIW_DATASET_MAX_ROWS = env.int("KPIW_DATASET_MAX_ROWS", default=2_000_000)
KPIW_DATASET_MAX_COLUMNS = env.int("KPIW_DATASET_MAX_COLUMNS", default=100)
