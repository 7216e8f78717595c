"""Regflow settings.

One file, driven by the environment. Every variable is listed in .env.example.
A value that cannot be parsed raises ImproperlyConfigured naming the variable,
so a typo in production fails at start-up instead of silently falling back.

The defaults are the embedded set-up: SQLite and the in-memory channel layer,
so a fresh checkout runs with no services. Production switches to PostgreSQL
and Redis through DATABASE_URL and REDIS_URL only.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected a boolean (true/false/1/0/yes/no/on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_origins(name: str) -> list[str]:
    origins = env_list(name, [])
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise ImproperlyConfigured(f"{name}: {origin!r} is not an origin like https://regflow.example.org")
    return origins


def env_database(name: str, default: str) -> dict[str, Any]:
    """The database, from its URL. PostgreSQL goes through a bounded connection pool.

    Not CONN_MAX_AGE: under daphne every worker thread kept its own connection
    open and never gave it back, until PostgreSQL refused new clients. With
    psycopg's pool (Django's OPTIONS["pool"]) each process holds at most
    DATABASE_POOL_MAX connections; a request waits up to DATABASE_POOL_TIMEOUT
    seconds for one, then fails with OperationalError (a 503 "try again").
    """
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=0, conn_health_checks=True)
    except ValueError as exc:  # unknown scheme, malformed URL
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # Serialise write transactions: select_for_update is a no-op on SQLite,
        # so IMMEDIATE is what keeps two approvals from interleaving.
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
        config["CONN_MAX_AGE"] = 0
    elif engine == "django.db.backends.postgresql":
        pool_min = env_int("DATABASE_POOL_MIN", 2)
        pool_max = env_int("DATABASE_POOL_MAX", 10, minimum=1)
        if pool_min > pool_max:
            raise ImproperlyConfigured(f"DATABASE_POOL_MIN: {pool_min} is above DATABASE_POOL_MAX ({pool_max})")
        config["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not keep its own
        config["OPTIONS"] = {
            # A hung server (a partition) fails a new connection within seconds, not minutes.
            "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
            # No JIT compilation: the planner's estimates over a million tasks cross jit_above_cost, and compiling
            # cost the queue's two queries 50 ms each for a 20 ms execution (docs/performance.md).
            "options": "-c jit=off",
            **config.get("OPTIONS", {}),
            "pool": {
                "min_size": pool_min,
                "max_size": pool_max,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
                # Idle connections above min_size are closed after this long.
                "max_idle": 60,
            },
        }
    else:
        raise ImproperlyConfigured(f"{name}: only postgres:// and sqlite:// URLs are supported, got {engine!r}")
    return dict(config)


def env_redis_url(name: str) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(f"{name}: expected redis://host:port/db, got {raw!r}")
    return raw


def env_time_zone(name: str, default: str) -> str:
    raw = os.environ.get(name) or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}: unknown time zone {raw!r}") from None
    return raw


# --- Core ---------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY: required when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")
SITE_NAME = "Regflow"
SOURCE_URL = os.environ.get("SOURCE_URL", "https://github.com/regflow/regflow")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "guardian",
    "project.apps.AxesConfig",  # django-axes, named for the admin
    "csp",
    "viewflow",
    "viewflow.workflow",
    "project",
    "core",
    "documents",
    "permissions",
    "audit",
    "workflows",
    "workflows.cases",
    "workflows.termination",
    "workflows.ultrasound",
    "workflows.retired_practitioners",
    "workflows.births",
    "workflows.bulletins",  # after births: its demo compiles a bulletin from the births seeded before it
    # The API for hospital information systems (docs/api.md): above the procedures, beside project.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "api",
]

MIDDLEWARE = [
    # First: everything below runs on a frame-stack chunk of its own (CPython 3.11's chunk churn, project/frames.py).
    "project.frames.WideFrameMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Its process_exception runs last: a database that cannot be reached is a 503 of ours.
    "project.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "permissions.middleware.DeniedRequestLogMiddleware",
    "project.middleware.SessionLifetimeMiddleware",
    "project.middleware.RequestIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Last, so that it sees the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "project.context_processors.regflow",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------

# Two roles on PostgreSQL (docs/operations.md, "Database roles"): DATABASE_URL is the application's role,
# which owns nothing, so that it cannot disable the audit trail's trigger nor update or delete its rows;
# MIGRATE_DATABASE_URL is the owner of the tables. The release step alone runs as the owner, with
# DATABASE_AS_OWNER=true (migrate, grant_app_role); everything else never sees the owner's password.
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
APP_DATABASE_USER = str(DATABASES["default"].get("USER") or "")
if env_bool("DATABASE_AS_OWNER", False) and os.environ.get("MIGRATE_DATABASE_URL"):
    DATABASES = {"default": env_database("MIGRATE_DATABASE_URL", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 60},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The default cache is each process's own memory (throttles). "shared" is one every process reads alike (the web
# and the timer dispatcher): with Redis only, and never waited on long (api.webhooks asks the database instead).
CACHES: dict[str, Any] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["shared"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "regflow",
        "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
    }

# Uploaded documents live in the database (documents.Blob), so that pg_dump backs up everything. This
# directory is read only by migration termination/0003, which moves scans stored there by older versions.
UPLOADS_DIR = Path(os.environ.get("UPLOADS_DIR") or BASE_DIR / "var" / "uploads")
MEDIA_URL = None  # uploads are never served directly; views send them after an access check
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# The font embedded (subset) in audit PDFs: TrueType outlines with Chinese glyphs. Debian's
# fonts-wqy-microhei by default; reportlab cannot embed CFF-based OpenType such as Noto CJK.
AUDIT_PDF_FONT = Path(os.environ.get("AUDIT_PDF_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
AUDIT_PDF_FONT_INDEX = env_int("AUDIT_PDF_FONT_INDEX", 0)  # the face to use in a .ttc collection
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Nothing is kept through Django's file storage; viewflow only asks it whether a user has an avatar (no one has).
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Identity and sessions -----------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "permissions.backends.ModelPermissionBackend",  # Django's ModelBackend, its permissions in one query
    "guardian.backends.ObjectPermissionBackend",
]
# argon2id first (project/hashers.py says why); PBKDF2 hashes from before still verify and are upgraded
# at the next login. Django's own Argon2PasswordHasher is left out: two hashers of one algorithm name
# would disagree on the parameters and rehash at every login.
PASSWORD_HASHERS = [
    "project.hashers.RegflowArgon2PasswordHasher",
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Idle expiry: the cookie and the stored session both last 30 minutes, renewed by
# project.middleware.SessionLifetimeMiddleware once a minute at most (not written on every
# request), which also enforces the 12-hour absolute cap.
SESSION_COOKIE_AGE = 30 * 60
SESSION_RENEW_SECONDS = 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: the 6th failure for one username from one address is refused
# (even with the right password) for 15 minutes. Locking the pair, not the
# username alone, means nobody can lock a colleague out from elsewhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Number of trusted proxies in front of daphne, each appending to X-Forwarded-For:
# the client address is taken that many entries from the right, for login
# throttling and for the audit trail alike (audit.services.client_address_of).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "audit.services.client_address_of"
AXES_USERNAME_CALLABLE = "project.forms.axes_username"

# --- Audit trail: keyed seals ----------------------------------------------------------
# Keys of the HMAC that seals each audit event's hash (audit/services.py, docs/audit.md). Kept
# outside the database, so that whoever can rewrite the tables cannot re-seal a rebuilt chain.
# The first key seals, every key listed verifies: put a new key first and keep the old ones.
AUDIT_CHAIN_KEYS = env_list("AUDIT_CHAIN_KEYS", [])
for _key in AUDIT_CHAIN_KEYS:
    if len(_key) < 32:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEYS: each key must be at least 32 characters")
# Without them a fixed development key seals, and the deploy check audit.E002 fails.
AUDIT_CHAIN_KEYS_ARE_DEVELOPMENT = not AUDIT_CHAIN_KEYS
AUDIT_CHAIN_KEYS = AUDIT_CHAIN_KEYS or ["development-only-audit-chain-key-not-secret"]

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None  # no anonymous user object; anonymous requests never reach guardian
GUARDIAN_MONKEY_PATCH_USER = False

# --- Security headers ------------------------------------------------------

_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else _HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # No eval and no inline <script>: viewflow's bundles need neither (checked by
        # tests/browser). Its templates carry exactly two inline onclick handlers, the
        # "Back" buttons of the bulk-action and delete pages, allowed by their hashes.
        "script-src": [
            SELF,
            "'unsafe-hashes'",
            "'sha256-seD630z7277f97kwMcz927xhDjB8+HQCe4f0EztcsAU='",  # window.history.back(-1)
            "'sha256-GdAjV6tJJrCv5L8FkbHYzJwNrscSj7aTuYJzS/C7wZY='",  # ...;setTimeout(()=>Turbo.visit('.'), 100)
        ],
        "style-src": [SELF, "'unsafe-inline'"],  # the material components set inline styles
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:", "wss:"] if DEBUG else [SELF, "wss:"],
    }
}

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# Ours first: where both catalogues hold a msgid, the first entry wins. The second
# holds zh-hans for django-viewflow's own strings, whose shipped catalogue is empty.
# Ours first (it wins where they share a msgid), then viewflow's strings, then those of Django's admin and
# django-axes that ship untranslated (each refreshed by make messages).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "viewflow", BASE_DIR / "locale" / "thirdparty"]
USE_I18N = True
USE_TZ = True  # storage is always UTC
# The zone times are shown in (always with their offset).
TIME_ZONE = env_time_zone("DISPLAY_TIME_ZONE", "Asia/Shanghai")

# --- Workflow engine ------------------------------------------------------

VIEWFLOW = {"AUTOREGISTER": False}  # the middlewares are listed above, explicitly

# --- The API for hospital information systems (api/, docs/api.md) ---------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ServiceAccountAuthentication",  # systems: OAuth2 client credentials
        "api.authentication.StaffSessionAuthentication",  # people: their session, for reading
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": os.environ.get("API_RATE_PER_CLIENT", "600/minute"),
        "verify": os.environ.get("API_RATE_VERIFY", "30/minute"),
    },
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Regflow API",
    "DESCRIPTION": "The API for hospital information systems: file and read a facility's own records (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
}
# django-oauth-toolkit's models, named explicitly: its migrations read these settings.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "api.scopes.ProcedureScopes",
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.ServiceAccountValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("API_TOKEN_SECONDS", 3600),
    # RFC 9700 (the OAuth 2.0 security BCP) throughout: tokens stored hashed, never taken from a query string,
    # no implicit or password grant (systems use client credentials only).
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
}
# Idempotency-Key records (api/idempotency.py) are kept this long: a retry within it replays the first response,
# a request after it is a new one; the dispatcher's sweep deletes older records.
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24, minimum=1)
# Webhook deliveries (api/webhooks.py): attempts, then the subscription's delivery is given up.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_TIMEOUT_SECONDS = 5.0
# A webhook goes to a public address only: a URL whose host resolves to a loopback, private, link-local, multicast,
# reserved or otherwise non-public address is refused when subscribed and again at each delivery. True only for a
# receiver on the same machine or network (tests; a closed intranet deployment that knows what it does).
API_WEBHOOK_ALLOW_PRIVATE = env_bool("API_WEBHOOK_ALLOW_PRIVATE", False)
# Which facilities have live webhook subscriptions, remembered in this cache (an alias of CACHES, shared by every
# process) so that an event of a facility without any costs no query; "" asks the database at each event.
API_WEBHOOK_FLAGS_CACHE = "shared" if REDIS_URL else ""

# Where the bulletins' drawn charts are kept (workflows.bulletins.charts.render): every process shares
# them through Redis when there is one; each process keeps its own otherwise.
BULLETIN_CHARTS_CACHE = "shared" if REDIS_URL else "default"

# --- E-mail (optional copies of notifications, never personal data) --------

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "regflow@localhost")
NOTIFICATION_EMAILS = env_bool("NOTIFICATION_EMAILS", False)

# `make bench` only: two anchor pages for superusers (project/bench.py). Never on in a deployment.
REGFLOW_BENCH_ANCHORS = env_bool("REGFLOW_BENCH_ANCHORS", False)

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A database outage is logged once by project.middleware, not with a traceback per request.
    "filters": {"not_connection_failures": {"()": "workflows.outages.ConnectionFailureLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "filters": ["not_connection_failures"]},
        "axes": {"level": "WARNING"},
    },
}

# --- Termination approval: patient-data protection ----------------------------
# Fernet keys (urlsafe base64, 32 bytes) for encrypted patient fields; the first
# encrypts, all decrypt: a new key goes first, old ones stay until `manage.py rotate_field_keys`
# has re-encrypted everything (docs/operations.md, "Rotating the patient-data key").
# Generate: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be a Fernet key (urlsafe base64 of 32 bytes)"
        ) from None
# Key of the HMAC that lets the procedure step compare a re-entered resident ID.
FIELD_HASH_KEY = os.environ.get("FIELD_HASH_KEY", "")
# Without them, fixed development keys are used and the deploy check
# termination.E001 fails: never valid for real data.
FIELD_KEYS_ARE_DEVELOPMENT = not (FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY)
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="]
FIELD_HASH_KEY = FIELD_HASH_KEY or "development-only-hash-key"
