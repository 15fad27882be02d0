"""Secrets the portal must send again, such as the credential a library's own ILL system
wants on the portal's calls: sealed (Fernet: AES-128-CBC with an HMAC-SHA256, from the
well-kept ``cryptography``) under keys derived from SECRET_KEY, so a copy of the database
alone does not give them away. Keys in SECRET_KEY_FALLBACKS still open what they sealed:
rotating SECRET_KEY with the old one as a fallback keeps stored secrets readable, and
re-sealing happens at the next save. Secrets are never logged nor shown again: pages
only say that one is stored."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# The derivation's label: another use of SECRET_KEY (sessions, signing) never yields this key.
_INFO = b"ishtiraak sealed secrets v1"


class SealBroken(Exception):
    """No key of SECRET_KEY and its fallbacks opens the sealed value."""


def _key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@functools.lru_cache(maxsize=4)
def _fernet(secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_key(s)) for s in (secret, *fallbacks)])


def _current() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def seal(value: str) -> str:
    return _current().encrypt(value.encode()).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SealBroken from exc
