"""Production: every secret is mandatory; security headers on."""

from whitenoise.compress import Compressor

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")  # no default: start-up fails naming it
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])  # (README: rotating the key)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a lasting commitment for the whole domain; the operator opts in with
# SECURE_HSTS_PRELOAD=true, so the reminder is silenced rather than forced on.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "consortium.staticfiles.MinifiedStaticFilesStorage"},
}
# collectstatic (bin/web build) writes a gzip and a Brotli copy of each file (Brotli when the
# Brotli package is installed, as requirements.txt does); whitenoise serves the one the browser
# accepts and gives hashed names a year-plus, immutable Cache-Control. Source maps are only
# fetched by developer tools, so they are not compressed (with Redoc left out of the build,
# collectstatic took 31 s instead of 114 s on a 2-core machine).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
