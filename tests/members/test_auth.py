"""Logging in, lockout, password reset and library API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from members import services
from tests.catalogue.factories_search import marc_bytes

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_by_username_or_email(patron, password):
    assert _login(Client(), patron.username, password).status_code == 302
    assert _login(Client(), patron.email.upper(), password).status_code == 302


def test_five_failures_lock_the_account_even_with_the_right_password(patron, password, time_machine):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, patron.username, "wrong-password")
    # when the right password comes next
    response = _login(client, patron.username, password)
    # then the account is locked and says so
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content
    # and after the cool-off it works again
    time_machine.move_to(timezone.now() + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
    assert _login(Client(), patron.username, password).status_code == 302


def test_password_reset_end_to_end(client, patron, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": patron.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    new = "brand-new-secret-42"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _login(Client(), patron.username, new).status_code == 302


def test_argon2_is_the_password_hasher():
    from consortium.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.fixture
def token_key(library, library_admin):
    _token, key = services.api_token_create(actor=library_admin, library=library, name="Koha")
    return key


def _api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def _marc_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("records.mrc", marc_bytes(title="Middlemarch", author="Eliot, George"))


def test_token_acts_for_its_library(token_key, library):
    response = _api(token_key).post("/api/v1/imports/", {"library": library.code, "file": _marc_upload()})
    assert response.status_code in (201, 202), response.content
    assert library.import_jobs.count() == 1


def test_revoked_or_unknown_token_is_refused(token_key, library, library_admin):
    token = library.api_tokens.get()
    services.api_token_revoke(actor=library_admin, token=token)
    assert _api(token_key).get("/api/v1/libraries/").status_code == 401
    assert _api("ish_made-up").get("/api/v1/libraries/").status_code == 401


def test_token_of_a_removed_member_is_refused(token_key, library, consortium_admin):
    services.library_deactivate(actor=consortium_admin, library=library)
    assert _api(token_key).get("/api/v1/libraries/").status_code == 401


def test_token_of_another_library_cannot_import_for_this_one(token_key, other_library):
    response = _api(token_key).post(
        "/api/v1/imports/", {"library": other_library.code, "file": _marc_upload()}
    )
    assert response.status_code == 403
    assert not other_library.import_jobs.exists()
