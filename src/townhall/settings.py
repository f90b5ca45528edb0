"""townhall settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from townhall.lib.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("TOWNHALL_DATA_DIR", "var")).resolve()

DEBUG = env_bool("TOWNHALL_DEBUG", False)
ALLOWED_HOSTS = env_list("TOWNHALL_ALLOWED_HOSTS", "127.0.0.1,localhost")
PUBLIC_URL = env_str("TOWNHALL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def _secret_key() -> str:
    key = os.environ.get("TOWNHALL_SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("TOWNHALL_SECRET_KEY must be at least 32 characters")
        return key
    # No key given: keep one generated key per data directory, so sessions and
    # mailed links survive restarts without anyone shipping a well-known default.
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()


def _database(url: str) -> dict[str, object]:
    if url.startswith("sqlite:"):
        # Kept open for a minute rather than opened per request: opening one costs
        # about a millisecond of CPU (Django registers its SQL functions on each),
        # which is a tenth of what a post costs. Sync views run on one thread per
        # process, so that is one connection per worker (and per background thread).
        config = dj_database_url.parse(url, conn_max_age=60)
        config["OPTIONS"] = {
            # WAL lets readers go on while one writer commits; IMMEDIATE takes the
            # write lock at BEGIN so concurrent writers wait instead of failing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        return config
    if url.startswith(("postgres://", "postgresql://")):
        # Under ASGI each request may run in a new thread, so persistent connections
        # pile up; a pool per worker process bounds them instead.
        # Health checks make the pool hand out only connections that answer: after a
        # database restart the pooled ones are dead, and each would fail one request.
        config = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
        config["OPTIONS"] = {
            "connect_timeout": 5,
            "pool": {
                "min_size": 1,
                "max_size": env_int("TOWNHALL_DB_POOL_SIZE", 10, minimum=1),
                # While the database is down a request waits this long, then gets a 503.
                "timeout": env_int("TOWNHALL_DB_POOL_TIMEOUT_SECONDS", 10, minimum=1),
                # psycopg_pool retries a lost connection with a doubling delay for up
                # to five minutes, so after a long outage a worker could go on failing
                # for minutes once the database is back. Giving up after two seconds
                # hands reconnection to the next request, which tries at once.
                "reconnect_timeout": 2,
            },
        }
        return config
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} is not supported; use sqlite:///path or postgres://…"
    )


_default_db = f"sqlite:///{DATA_DIR / 'townhall.sqlite3'}"
DATABASES = {"default": _database(env_str("DATABASE_URL", _default_db))}
# Read replicas (docs/operations.md, "Running several app servers"): requests read
# from them, writes and a writer's next reads go to the primary (townhall.lib.dbrouter).
for _n, _url in enumerate(env_list("TOWNHALL_REPLICA_URLS", ""), start=1):
    DATABASES[f"replica{_n}"] = {**_database(_url), "TEST": {"MIRROR": "default"}}
TOWNHALL_REPLICA_STICKY_SECONDS = env_int("TOWNHALL_REPLICA_STICKY_SECONDS", 5, minimum=0)
DATABASE_ROUTERS = ["townhall.lib.dbrouter.ReplicaRouter"] if len(DATABASES) > 1 else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis://, rediss://")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis errors are cache misses, never 5xx: see townhall.lib.cache.
            "BACKEND": "townhall.lib.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("TOWNHALL_CACHE_PREFIX", "townhall"),
        }
    }
elif env_str("TOWNHALL_CACHE", "file") == "file":
    # Without Redis, every process on this machine — each server worker, and any
    # command that changes data — shares the cache, and so its invalidations,
    # through files.
    CACHES = {
        "default": {
            # A full or read-only disk makes it a miss, never a 500: townhall.lib.cache.
            "BACKEND": "townhall.lib.cache.ResilientFileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
elif env_str("TOWNHALL_CACHE", "file") == "memory":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("TOWNHALL_CACHE must be memory or file (or set REDIS_URL)")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_dramatiq",
    "townhall.sites",
    "townhall.accounts",
    "townhall.comments",
    "townhall.reports",
    "townhall.review",
    "townhall.embed",
    "townhall.dashboard",
    "townhall.demo",
    "townhall.importers",
    "townhall.webhooks",
    "townhall.notifications",
]

MIDDLEWARE = [
    "townhall.lib.metrics.MetricsMiddleware",
    "townhall.lib.hygiene.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "townhall.lib.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "townhall.api.errors.JsonMethodNotAllowedMiddleware",
    "townhall.lib.dbfaults.DatabaseFaultMiddleware",
    "townhall.api.csrf.ApiCsrfMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "townhall.lib.dbrouter.PrimaryAfterWriteMiddleware",
    "townhall.lib.cookies.PartitionedCookieMiddleware",
]

ROOT_URLCONF = "townhall.urls"
ASGI_APPLICATION = "townhall.asgi.application"
WSGI_APPLICATION = "townhall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Cookies. Behind HTTPS the embed is a third-party iframe on the publisher's page,
# so its cookies must be SameSite=None; Secure and partitioned (CHIPS).
SECURE_COOKIES = env_bool("TOWNHALL_SECURE_COOKIES", False)
SESSION_COOKIE_NAME = "townhall_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "None" if SECURE_COOKIES else "Lax"
CSRF_COOKIE_SAMESITE = "None" if SECURE_COOKIES else "Lax"
SESSION_COOKIE_AGE = env_int("TOWNHALL_SESSION_DAYS", 30, minimum=1) * 86400
CSRF_TRUSTED_ORIGINS = env_list("TOWNHALL_CSRF_TRUSTED_ORIGINS", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TOWNHALL_BEHIND_HTTPS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Framing is decided per site from its allowed origins (see embed.views), not globally.
X_FRAME_OPTIONS = "SAMEORIGIN"

# CORS: only the public read endpoints, only for a site's allowed origins.
CORS_URLS_REGEX = r"^/api/v1/(counts|comments|health)"
CORS_ALLOW_CREDENTIALS = False

LANGUAGE_CODE = "en"
# The reader UI and the dashboard ship in these; see docs/translations.md.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str("TOWNHALL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("TOWNHALL_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("TOWNHALL_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("TOWNHALL_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TOWNHALL_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TOWNHALL_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = env_str("TOWNHALL_FROM_EMAIL", "townhall <noreply@localhost>")

# Background work (mail, webhooks): a worker thread in this process by default, or
# a Redis queue that `townhall worker` processes (docs/operations.md).
TOWNHALL_BACKGROUND = env_str("TOWNHALL_BACKGROUND", "inprocess")
if TOWNHALL_BACKGROUND not in ("inprocess", "redis"):
    raise ImproperlyConfigured("TOWNHALL_BACKGROUND must be inprocess or redis")
if TOWNHALL_BACKGROUND == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("TOWNHALL_BACKGROUND=redis needs REDIS_URL")
TOWNHALL_BACKGROUND_THREADS = env_int("TOWNHALL_BACKGROUND_THREADS", 2, minimum=1)
DRAMATIQ_BROKER = {
    "BROKER": "dramatiq.brokers.redis.RedisBroker"
    if TOWNHALL_BACKGROUND == "redis"
    else "dramatiq.brokers.stub.StubBroker",
    # Queueing happens right after a reader's commit: a Redis that hangs must not hang them.
    "OPTIONS": {"url": REDIS_URL, "socket_timeout": 5, "socket_connect_timeout": 2}
    if TOWNHALL_BACKGROUND == "redis"
    else {},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
TOWNHALL_WEBHOOK_TIMEOUT = env_int("TOWNHALL_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
TOWNHALL_WEBHOOK_ATTEMPTS = env_int("TOWNHALL_WEBHOOK_ATTEMPTS", 8, minimum=1)
TOWNHALL_WEBHOOK_BACKOFF_MS = env_int("TOWNHALL_WEBHOOK_BACKOFF_SECONDS", 30, minimum=0) * 1000
TOWNHALL_WEBHOOK_ALLOW_PRIVATE = env_bool("TOWNHALL_WEBHOOK_ALLOW_PRIVATE", False)
# A mail server that stops answering must not hold a background thread for ever.
EMAIL_TIMEOUT = env_int("TOWNHALL_SMTP_TIMEOUT_SECONDS", 30, minimum=1)

# Posting limits shared by every site (per-site limits live on the site).
TOWNHALL_POST_RATE = env_int("TOWNHALL_POST_RATE_PER_MINUTE", 6, minimum=1)
TOWNHALL_DUPLICATE_WINDOW = env_int("TOWNHALL_DUPLICATE_WINDOW_SECONDS", 600, minimum=0)

# Live updates (Server-Sent Events at /api/v1/live), per server process.
TOWNHALL_LIVE_MAX_CONNECTIONS = env_int("TOWNHALL_LIVE_MAX_CONNECTIONS", 2000, minimum=0)
TOWNHALL_LIVE_HEARTBEAT_SECONDS = env_int("TOWNHALL_LIVE_HEARTBEAT_SECONDS", 20, minimum=1)
TOWNHALL_LIVE_POLL_MS = env_int("TOWNHALL_LIVE_POLL_MS", 1000, minimum=50)
TOWNHALL_LIVE_MAX_STREAM_SECONDS = env_int("TOWNHALL_LIVE_MAX_STREAM_SECONDS", 120, minimum=1)

# Abuse limits on accounts (see docs/security.md).
TOWNHALL_LOGIN_MAX_FAILURES = env_int("TOWNHALL_LOGIN_MAX_FAILURES", 5, minimum=1)
TOWNHALL_LOGIN_MAX_FAILURES_PER_IP = env_int("TOWNHALL_LOGIN_MAX_FAILURES_PER_IP", 20, minimum=1)
TOWNHALL_LOGIN_LOCKOUT_SECONDS = env_int("TOWNHALL_LOGIN_LOCKOUT_SECONDS", 60, minimum=1)
TOWNHALL_LOGIN_LOCKOUT_MAX_SECONDS = env_int("TOWNHALL_LOGIN_LOCKOUT_MAX_SECONDS", 3600, minimum=1)


def _signup_challenge_mode() -> str:
    """``auto`` (sign-ups without a challenge pass until a site sees a surge of them),
    ``always`` or ``never``; the older boolean values still mean always and never."""
    raw = env_str("TOWNHALL_SIGNUP_CHALLENGE", "auto").lower()
    mode = {"1": "always", "true": "always", "0": "never", "false": "never"}.get(raw, raw)
    if mode not in ("auto", "always", "never"):
        raise ImproperlyConfigured(
            f"TOWNHALL_SIGNUP_CHALLENGE={raw!r} is not a mode; use auto, always or never"
        )
    return mode


TOWNHALL_SIGNUP_CHALLENGE = _signup_challenge_mode()
TOWNHALL_SIGNUP_SURGE_PER_HOUR = env_int("TOWNHALL_SIGNUP_SURGE_PER_HOUR", 30, minimum=1)
TOWNHALL_SIGNUP_POW_BITS = env_int("TOWNHALL_SIGNUP_POW_BITS", 14, minimum=0)
TOWNHALL_SIGNUP_MIN_SECONDS = env_int("TOWNHALL_SIGNUP_MIN_SECONDS", 2, minimum=0)
TOWNHALL_SIGNUP_TOKEN_MAX_AGE = env_int("TOWNHALL_SIGNUP_TOKEN_MAX_AGE", 3600, minimum=60)
TOWNHALL_NEW_ACCOUNT_HOURS = env_int("TOWNHALL_NEW_ACCOUNT_HOURS", 24, minimum=0)
TOWNHALL_NEW_ACCOUNT_COMMENTS = env_int("TOWNHALL_NEW_ACCOUNT_COMMENTS", 3, minimum=0)
TOWNHALL_NEW_ACCOUNT_POST_RATE = env_int("TOWNHALL_NEW_ACCOUNT_POST_RATE_PER_MINUTE", 6, minimum=1)
TOWNHALL_NEW_ACCOUNT_POSTS_PER_HOUR = env_int("TOWNHALL_NEW_ACCOUNT_POSTS_PER_HOUR", 20, minimum=1)
TOWNHALL_NEW_ACCOUNT_HOLD_LINKS = env_bool("TOWNHALL_NEW_ACCOUNT_HOLD_LINKS", False)
TOWNHALL_IP_RETENTION_DAYS = env_int("TOWNHALL_IP_RETENTION_DAYS", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TOWNHALL_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
