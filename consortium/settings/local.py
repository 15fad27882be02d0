"""Local development and the one-command demo."""

from .base import *  # noqa: F403
from .base import EMBEDDED, env

DEBUG = env.bool("DEBUG", default=True)
# The embedded mode has a fixed development secret; anything else must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="embedded-demo-only-not-secret" if EMBEDDED else None)
