"""ILL fixtures: a borrowing library with its patron, lenders, a consortium-wide agreement."""

from __future__ import annotations

import pytest

from ill import states
from ill.services import SYSTEM, ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.factories import LibrarianFactory, LibraryFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.ILL_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def agreement(db):
    return AgreementFactory(
        name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE, loan_period_days=21, renewals_allowed=1,
        response_deadline_days=3, services_allowed=["loan", "copy"],
    )  # fmt: skip


@pytest.fixture
def lender(other_library):
    return other_library


@pytest.fixture
def lender_librarian(other_librarian):
    return other_librarian


@pytest.fixture
def second_lender(db):
    return LibraryFactory(code="PK-THIRD", name="Third University", city="Peshawar", province="KP")


@pytest.fixture
def second_lender_librarian(second_lender):
    return LibrarianFactory(username="third-librarian", library=second_lender)


@pytest.fixture
def record(lender, agreement):
    return held_by(lender)


@pytest.fixture
def submitted(patron, record):
    """A patron's loan request, as the record page's button creates it."""
    return ill_request_create(actor=patron, bib_record_id=record.pk)


@pytest.fixture
def act():
    """Take an action and return the refreshed request."""

    def _act(req, action, actor, **payload):
        ill_request_transition(request_id=req.pk, action=action, actor=actor, **payload)
        req.refresh_from_db()
        return req

    return _act


@pytest.fixture
def sent(submitted, librarian, act):
    """Validated and routed: the first lender was asked (tasks run eagerly on commit)."""
    req = act(submitted, "validate", librarian)
    from ill.routing import route

    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == states.SENT_TO_SUPPLIER
    return req


@pytest.fixture
def system():
    return SYSTEM


@pytest.fixture
def passed_on(
    patron, librarian, lender, second_lender, agreement, lender_librarian, second_lender_librarian, act
):
    """A request held by two lenders, sent to the first; returns (request, first staff, next staff).

    The test makes the first answer and routes on, so it can say what it answered."""
    from ill.routing import route

    req = act(
        ill_request_create(actor=patron, bib_record_id=held_by(lender, second_lender).pk),
        "validate",
        librarian,
    )
    route(request_id=req.pk)
    req.refresh_from_db()
    if req.supplier == lender:
        return req, lender_librarian, second_lender_librarian
    return req, second_lender_librarian, lender_librarian


@pytest.fixture
def library_token(db):
    """The key of a new API token of a library, made by its library admin as on the tokens page."""
    from members.services import api_token_create
    from tests.factories import LibraryAdminFactory

    def _token(library) -> str:
        _token, key = api_token_create(
            actor=LibraryAdminFactory(library=library), library=library, name="ILL"
        )
        return key

    return _token


@pytest.fixture
def iso_post(client, django_capture_on_commit_callbacks):
    """POST an ISO 18626 message to /iso18626 with a library's token; after-commit work runs."""

    def _post(body: bytes, key: str | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/iso18626", data=body, content_type="application/xml", **headers)

    return _post


@pytest.fixture
def iso_record(lender, second_lender, agreement):
    """A book with a valid ISBN held by both lenders (the union catalogue as imports leave it)."""
    from catalogue.matching import block_keys
    from tests.ill.factories import BibRecordFactory

    record = BibRecordFactory(isbns=["9780198526636"])
    record.match_keys = block_keys({"title": record.title, "isbns": record.isbns})
    record.save(update_fields=["match_keys"])
    return held_by(lender, second_lender, record=record)


@pytest.fixture
def peer():
    """Another library's ILL system listening on 127.0.0.1 (tests.ill.iso18626_peer.Peer)."""
    from tests.ill.iso18626_peer import Peer

    p = Peer()
    yield p
    p.stop()
