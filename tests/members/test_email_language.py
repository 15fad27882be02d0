"""Emails in the recipient's language: each account (and each library's contact address) has
one, every notice is wholly in it, whatever language the page that caused it was in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ill.services import ill_request_create, ill_request_transition
from members.models import OutboundEmail, User
from tests.factories import LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = pytest.mark.django_db

ENGLISH_WORDS = re.compile(r"\b[A-Za-z][a-z]{2,}\b")


def _mail_to(address: str) -> OutboundEmail:
    """The one email queued to this address (the outbox row is what gets delivered)."""
    [message] = OutboundEmail.objects.filter(to__contains=[address])
    return message


def _english_words(text: str, allowed: set[str]) -> list[str]:
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)  # links and addresses are data
    return [w for w in ENGLISH_WORDS.findall(text) if w not in allowed]


@pytest.fixture
def ill_setup(db):
    from policies.models import AgreementKind

    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE)
    borrower = LibraryFactory(code="PK-BRW", name="Borrowing University", name_ur="جامعہ مستعار")
    lender = LibraryFactory(code="PK-LND", name="Lending University", name_ur="جامعہ معیر", language="en")
    record = held_by(lender)
    record.title = "Tarikh"
    record.save(update_fields=["title"])
    return borrower, lender, record


def test_an_urdu_patrons_ill_notice_is_urdu_and_the_english_library_gets_english(ill_setup, librarian):
    # given an Urdu patron and the borrowing library, whose contact address reads English
    borrower, _lender, record = ill_setup
    patron = PatronFactory(library=borrower, language="ur", first_name="Sana")
    librarian.library = borrower
    librarian.save(update_fields=["library"])
    # when the patron asks (from an English page) and the library validates
    ill_request_create(actor=patron, bib_record_id=record.pk)
    # then the patron's notice is Urdu, subject and body, with the library's Urdu name
    to_patron = _mail_to(patron.email)
    assert re.search(r"[\u0600-\u06ff]", to_patron.subject)
    assert _english_words(to_patron.subject, set()) == []
    assert "جامعہ مستعار" in to_patron.body
    allowed = {"Sana", "Tarikh"}  # the patron's name and the book's title are data
    assert _english_words(to_patron.body, allowed) == [], to_patron.body
    # and the library's notice (its contact address reads English) is English only
    to_library = _mail_to(borrower.email)
    assert not re.search(r"[\u0600-\u06ff]", to_library.subject + to_library.body), to_library.body
    assert "Borrowing University" in to_library.body or "Tarikh" in to_library.body


def test_a_library_that_reads_urdu_gets_its_notices_in_urdu(ill_setup, librarian):
    borrower, lender, record = ill_setup
    lender.language = "ur"
    lender.save(update_fields=["language"])
    librarian.library = borrower
    librarian.save(update_fields=["library"])
    patron = PatronFactory(library=borrower, language="en")
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    from ill.routing import route

    route(request_id=req.pk)
    to_lender = _mail_to(lender.email)
    assert re.search(r"[\u0600-\u06ff]", to_lender.subject)
    assert "جامعہ مستعار" in to_lender.body  # the requesting library, named in Urdu
    data = {"Tarikh", "Qureshi", "Ishtiaq", "Husain"}  # the title and author from the factory
    assert _english_words(to_lender.subject + to_lender.body, data) == [], to_lender.body


def test_an_english_librarians_notice_is_english_though_sent_from_an_urdu_page(db):
    # given an English library admin and a consortium admin working in Urdu
    from members.models import Role
    from tests.factories import ConsortiumAdminFactory, LibraryAdminFactory

    library = LibraryFactory(name="Test Library", name_ur="آزمائشی لائبریری")
    admin = LibraryAdminFactory(library=library, language="en")
    consortium_admin = ConsortiumAdminFactory()
    client = Client()
    client.force_login(consortium_admin, backend="members.backends.EmailOrUsernameBackend")
    client.cookies["django_language"] = "ur"
    # when the admin in Urdu proposes an agreement with the library
    from policies.models import AgreementStatus
    from policies.services import agreement_propose

    agreement = AgreementFactory(status=AgreementStatus.DRAFT, parties=[library, LibraryFactory()])
    from django.utils import translation

    with translation.override("ur"):
        agreement_propose(actor=consortium_admin, agreement=agreement)
    # then the library admin's email is English only, with the English name
    message = _mail_to(admin.email)
    assert not re.search(r"[\u0600-\u06ff]", message.subject + message.body), message.body
    assert "Test Library" in message.body
    assert admin.role == Role.LIBRARY_ADMIN


def test_password_reset_to_an_urdu_account_is_urdu_from_an_english_page(db):
    user = PatronFactory(language="ur", email="sana@example.pk")
    Client().post("/accounts/password_reset/", {"email": "sana@example.pk"})
    message = _mail_to("sana@example.pk")
    assert re.search(r"[\u0600-\u06ff]", message.subject), message.subject
    assert _english_words(message.subject, set()) == [], message.subject
    assert _english_words(message.body, set()) == [], message.body
    assert user.language == "ur"


def test_password_reset_to_an_english_account_is_english_from_an_urdu_page(db):
    PatronFactory(language="en", email="ali@example.pk")
    client = Client()
    client.cookies["django_language"] = "ur"
    client.post("/accounts/password_reset/", {"email": "ali@example.pk"})
    message = _mail_to("ali@example.pk")
    assert not re.search(r"[\u0600-\u06ff]", message.subject + message.body), message.body


def test_registration_and_invitation_take_the_page_language(db, library_admin, login):
    # registration in Urdu: the account's language is Urdu (the form's default)
    client = Client()
    client.cookies["django_language"] = "ur"
    page = client.get("/register/").content.decode()
    assert '<option value="ur" selected>' in page
    # an invitation sent from an Urdu page is Urdu; accepting it on an Urdu page makes an Urdu account
    admin_client = login(library_admin)
    admin_client.cookies["django_language"] = "ur"
    admin_client.post("/my-library/staff/invite/", {"email": "new@example.pk", "role": "librarian"})
    invitation_mail = _mail_to("new@example.pk")
    assert re.search(r"[\u0600-\u06ff]", invitation_mail.subject)
    token = re.search(r"/invitations/([^/\s]+)/", invitation_mail.body).group(1)
    invitee = Client()
    invitee.cookies["django_language"] = "ur"
    invitee.post(
        f"/invitations/{token}/",
        {
            "username": "newlib",
            "first_name": "New",
            "password1": "a-long-pass-9x",
            "password2": "a-long-pass-9x",
        },
    )
    assert User.objects.get(username="newlib").language == "ur"


def test_the_account_page_changes_the_email_language(patron, login):
    client = login(patron)
    assert patron.language == "en"
    response = client.post("/account/", {"language": "ur"})
    assert response.status_code == 302
    patron.refresh_from_db()
    assert patron.language == "ur"
    assert client.post("/account/", {"language": "fr"}).status_code == 200
    patron.refresh_from_db()
    assert patron.language == "ur"
