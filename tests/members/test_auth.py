"""Log-in, lockout, password reset by email, API tokens and password hashing."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import path, reverse
from rest_framework.response import Response
from rest_framework.views import APIView

from members import services
from members.models import Library
from members.permissions import can
from members.selectors import users_named
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

LOCKED_TEXT = "Too many failed log-in attempts"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# ---------------------------------------------------------------- log-in


@pytest.mark.parametrize("identifier", ["patron", "patron@example.pk", "PATRON@EXAMPLE.PK"])
def test_login_by_username_or_email(patron, password, identifier):
    client = Client()
    response = _login(client, identifier, password)
    assert response.status_code == 302
    assert _signed_in(client)


def test_wrong_password_is_refused_with_a_message(patron):
    client = Client()
    response = _login(client, "patron", "not-the-password")
    assert response.status_code == 200
    assert not _signed_in(client)
    assert "username" in response.content.decode().lower()


def test_five_failures_lock_the_account_even_with_the_right_password(patron, password):
    client = Client()
    for _ in range(5):
        _login(client, "patron", "wrong-password")
    # when the right password comes after five failures
    response = _login(client, "patron", password)
    # then the locked page is shown and no session is opened
    assert LOCKED_TEXT in response.content.decode()
    assert response.status_code == 429
    assert not _signed_in(client)


def test_four_failures_do_not_lock(patron, password):
    client = Client()
    for _ in range(4):
        _login(client, "patron", "wrong-password")
    assert _login(client, "patron", password).status_code == 302


def test_lockout_ends_after_the_cool_off(patron, password):
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        client = Client()
        for _ in range(5):
            _login(client, "patron", "wrong-password")
        assert LOCKED_TEXT in _login(client, "patron", password).content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        client = Client()
        assert _login(client, "patron", password).status_code == 302
        assert _signed_in(client)


def test_trying_during_the_lockout_extends_it(patron, password):
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _login(Client(), "patron", "wrong-password")
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert LOCKED_TEXT in _login(Client(), "patron", password).content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=45), tick=False):
        assert LOCKED_TEXT in _login(Client(), "patron", password).content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=80), tick=False):
        assert _login(Client(), "patron", password).status_code == 302


def test_lockout_of_one_account_leaves_others_alone(patron, librarian, password):
    client = Client()
    for _ in range(5):
        _login(client, "patron", "wrong-password")
    assert _login(client, "librarian", password).status_code == 302


# ---------------------------------------------------------------- lockout by account, not by spelling


@pytest.fixture
def uop_patron(library):
    return PatronFactory(username="uop-patron", email="uop-patron@uop.edu.pk", library=library)


UOP_SPELLINGS = ["uop-patron", "UOP-PATRON", "Uop-patron", "uop-patron@uop.edu.pk"]


def test_every_spelling_of_an_account_counts_toward_one_lockout(uop_patron, password):
    # given six wrong passwords under each spelling of the account, and under its email
    client = Client()
    for spelling in UOP_SPELLINGS:
        for _ in range(6):
            _login(client, spelling, "wrong-password")
    # when the right password comes under yet another spelling, or the canonical name
    for spelling in ["Uop-PATRON", "uop-patron", "UOP-PATRON@UOP.EDU.PK"]:
        response = _login(client, spelling, password)
        # then the account is locked under each of them and no session is opened
        assert response.status_code == 429, spelling
        assert LOCKED_TEXT in response.content.decode()
        assert not _signed_in(client)


def test_five_failures_spread_over_spellings_lock_the_account(uop_patron, password):
    client = Client()
    for spelling in ["uop-patron", "UOP-PATRON", "Uop-patron", "uop-patron@uop.edu.pk", "UOP-patron"]:
        _login(client, spelling, "wrong-password")
    assert _login(client, "Uop-PATRON", password).status_code == 429
    assert not _signed_in(client)


def test_four_failures_over_spellings_then_a_success_start_the_count_again(uop_patron, password):
    client = Client()
    for spelling in UOP_SPELLINGS:
        _login(client, spelling, "wrong-password")
    assert _login(client, "UOP-Patron", password).status_code == 302
    for spelling in UOP_SPELLINGS:
        _login(Client(), spelling, "wrong-password")
    assert _login(Client(), "uop-patron", password).status_code == 302


def test_a_locked_account_cannot_log_in_to_the_admin_under_another_spelling(consortium_admin, password):
    for spelling in ["cadmin", "CADMIN", "Cadmin", "cadmin@example.pk", "CAdmin"]:
        _login(Client(), spelling, "wrong-password")
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": "cADMIN", "password": password, "next": "/admin/"}
    )
    assert response.status_code == 429 and not _signed_in(client)


def test_unknown_names_are_counted_whatever_their_case(db):
    # guessing at a name with no account is limited the same way: five tries in all
    client = Client()
    for spelling in ["ghost", "GHOST", "Ghost", "gHost"]:
        assert _login(client, spelling, "wrong-password").status_code == 200
    assert _login(client, "ghosT", "wrong-password").status_code == 429
    assert _login(client, "GhOsT", "wrong-password").status_code == 429


def test_lockout_of_an_account_leaves_one_with_a_similar_name_alone(uop_patron, library, password):
    PatronFactory(username="uop-patron2", library=library)
    for spelling in [*UOP_SPELLINGS, "UOP-PATRON"]:
        _login(Client(), spelling, "wrong-password")
    assert _login(Client(), "UOP-PATRON2", password).status_code == 302


def test_the_login_lookup_probes_the_name_indexes(db):
    # every log-in attempt resolves the typed name (twice with the lockout): no table scan
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = users_named(identifier="Uop-PATRON").explain()
    assert "user_username_unique_ignoring_case" in plan and "user_email_unique_ignoring_case" in plan


# ---------------------------------------------------------------- password reset


def test_password_reset_by_email_end_to_end(patron, django_capture_on_commit_callbacks):
    client = Client()
    # when the patron asks for a reset
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "patron@example.pk"})
    assert response.status_code == 302
    # then one email goes out (through the outbox) with a link
    assert [m.to for m in mail.outbox] == [["patron@example.pk"]]
    from members.models import OutboundEmail

    assert OutboundEmail.objects.filter(to__contains=["patron@example.pk"]).exists()
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    # and following it leads to a form that sets the new password
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new = "a-brand-new-passphrase-42"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.headers["Location"] == reverse("password_reset_complete")
    # and the new password works, the old one does not
    assert _login(Client(), "patron", new).status_code == 302
    assert _login(Client(), "patron", "a-long-test-password-9").status_code == 200


def test_password_reset_for_unknown_email_sends_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("password_reset"), {"email": "nobody@example.pk"})
    assert response.status_code == 302  # same answer: no account enumeration
    assert mail.outbox == []


def test_reset_link_works_once(patron, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "patron@example.pk"})
    link = re.search(r"(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    set_url = page.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "first-new-pass-77", "new_password2": "first-new-pass-77"})
    again = Client().get(link, follow=True)
    assert "This link is invalid or was already used" in again.content.decode()


# ---------------------------------------------------------------- API tokens


class WhoAmI(APIView):
    """Test-only endpoint: staff of the library named in the URL (or its token)."""

    access_rule = "staff"

    def get(self, request, code):
        library = Library.objects.get(code=code)
        if not can(request.user, "library.work", library):
            return Response({"detail": "not your library"}, status=403)
        return Response({"acting_for": request.user.library.code})


urlpatterns = [path("api/v1/test/<str:code>/whoami/", WhoAmI.as_view())]


@pytest.fixture
def tokens(library, other_library, library_admin, other_library_admin):
    _own, own_key = services.api_token_create(actor=library_admin, library=library, name="OPAC")
    _other, other_key = services.api_token_create(
        actor=other_library_admin, library=other_library, name="ERP"
    )
    return {"own": _own, "own_key": own_key, "other_key": other_key}


def _as_token(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.urls(__name__)
def test_valid_token_acts_for_its_library(tokens):
    response = _as_token(tokens["own_key"]).get("/api/v1/test/PK-HOME/whoami/")
    assert response.status_code == 200
    assert response.json() == {"acting_for": "PK-HOME"}
    tokens["own"].refresh_from_db()
    assert tokens["own"].last_used_at is not None


@pytest.mark.urls(__name__)
def test_token_of_another_library_cannot_act_for_this_one(tokens):
    response = _as_token(tokens["other_key"]).get("/api/v1/test/PK-HOME/whoami/")
    assert response.status_code == 403


@pytest.mark.urls(__name__)
def test_revoked_token_gets_401(tokens, library_admin):
    services.api_token_revoke(actor=library_admin, token=tokens["own"])
    response = _as_token(tokens["own_key"]).get("/api/v1/test/PK-HOME/whoami/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"].lower()


@pytest.mark.urls(__name__)
def test_token_of_an_inactive_library_is_refused(tokens, library, consortium_admin):
    services.library_deactivate(actor=consortium_admin, library=library, note="left")
    response = _as_token(tokens["own_key"]).get("/api/v1/test/PK-HOME/whoami/")
    assert response.status_code == 401


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Token ish_not-a-real-key", "Token \u00e9\u00e9"],
    ids=["empty", "two", "wrong", "latin1"],
)
def test_malformed_or_unknown_tokens_get_401(tokens, header):
    response = Client(HTTP_AUTHORIZATION=header.encode().decode("latin-1")).get(
        "/api/v1/test/PK-HOME/whoami/"
    )
    assert response.status_code == 401


def test_token_is_stored_hashed_and_shown_once(library_admin, login):
    client = login(library_admin)
    client.post(reverse("token-create"), {"name": "Kiosk"})
    first = client.get(reverse("my-library")).content.decode()
    key = re.search(r"ish_[A-Za-z0-9_-]{20,}", first).group(0)
    from members.models import ApiToken

    token = ApiToken.objects.get(name="Kiosk")
    assert key not in (token.key_hash, token.prefix) and len(token.key_hash) == 64
    assert key not in client.get(reverse("my-library")).content.decode()


# ---------------------------------------------------------------- hashing


def test_argon2_is_the_default_hasher_in_production(monkeypatch):
    # the test settings use a fast hasher; production (base-derived) must use argon2
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/ish")
    monkeypatch.setenv("ALLOWED_HOSTS", "portal.example.pk")
    production = importlib.import_module("consortium.settings.production")
    production = importlib.reload(production)
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_a_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("s3cret-pass", hasher="argon2")
    assert encoded.startswith("argon2$") and check_password("s3cret-pass", encoded)
