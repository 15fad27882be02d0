"""Local development and the one-command demo."""

from django.core.exceptions import ImproperlyConfigured

from consortium import embedded

from .base import *  # noqa: F403
from .base import env

# Off unless set, as everywhere: the demo shows the error pages a member library would see.
DEBUG = env.bool("DEBUG", default=False)
# Static files come straight from the apps' and static/ folders (no collectstatic in the
# demo), re-read when they change; whitenoise serves them whatever DEBUG says.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

MISSING_SECRET_KEY = "Set the SECRET_KEY environment variable: it is required when DATABASE_URL names a database (the fixed demo key is only for the embedded one under var/)."  # noqa: S105 - a message
# The embedded database holds demo data only, so it may use a fixed key; a real database
# holds real sessions, password-reset links and API tokens, signed with this key.
if env("DATABASE_URL") == embedded.database_url():
    SECRET_KEY = env("SECRET_KEY", default="embedded-demo-only-not-secret")
elif not env("SECRET_KEY", default=""):
    raise ImproperlyConfigured(MISSING_SECRET_KEY)
else:
    SECRET_KEY = env("SECRET_KEY")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
