"""Test settings: same database engine and broker as production, fast hashing, test outbox."""

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret"  # noqa: S105 - tests only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The outbox task delivers to Django's test outbox.
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
AXES_ENABLED = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The suite's tasks travel on their own Redis database, so a portal running on the same
# server (the embedded one under var/, or the machine's) never takes them, nor they its.
TEST_REDIS_DB = 15


def _own_database(url: str) -> str:
    if url.startswith("unix://"):
        return f"{url.split('?')[0]}?db={TEST_REDIS_DB}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{TEST_REDIS_DB}"))


def _celery_own_database(url: str) -> str:
    if url.startswith("unix://"):  # kombu names the database of a socket Redis virtual_host
        return f"redis+socket://{url.split('?')[0].removeprefix('unix://')}?virtual_host={TEST_REDIS_DB}"
    return _own_database(url)


REDIS_URL = _own_database(REDIS_URL)  # noqa: F405
CELERY_BROKER_URL = _celery_own_database(REDIS_URL)

# ISO 18626 outbound tests talk to a server on 127.0.0.1 (the only network there is).
ISO18626_ALLOW_PRIVATE_ENDPOINTS = True
ILL_FIGURES_FRESH_FOR = timedelta(0)  # every report recounts what changed: tests act, then read
