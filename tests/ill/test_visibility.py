"""What of a request each reader sees (ill.visibility), on every surface that shows one.

Two parts. The rule, enumerated: every module that shows a request to someone (pages, the
API, notices, ISO 18626 messages) goes through ill.visibility, and no module or template
reads the patron's identity (or an event's person, or its note) around it. Then the
patron's view, walked through a whole loan: the request list and page, the API and every
email to the patron, in English and Urdu, never show the back office.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.test import APIClient

from ill import api, states, visibility
from ill.iso18626 import build
from ill.models import IllMessage
from ill.routing import route
from ill.services import ill_message_send, ill_request_create
from members.models import Library, OutboundEmail
from tests.ill.factories import held_by

ROOT = Path(settings.BASE_DIR)
APPS = ["catalogue", "consortium", "ill", "members", "policies"]

# ---------------------------------------------------------------------------------------
# the rule, enumerated

# Every module that shows a request to someone, and how it obeys the rule.
SURFACES = {
    "ill/api.py": "one serializer per reader, chosen by visibility.reader_for",
    "ill/views.py": "staff page: visibility.timeline/messages/rota/patron_identity; patron: patron_view",
    "ill/notices.py": "each audience's summary, note and greeting through visibility",
    "ill/iso18626/outbound.py": "notes in messages to each side's system through visibility.note_for",
}
# Modules that write or answer something but carry no request detail, and why.
NO_REQUEST_DETAIL = {
    "ill/iso18626/build.py": "writes the XML outbound gives it; its dataclasses have no patron field",
    "ill/iso18626/xml.py": "reads and wraps ISO 18626 envelopes",
    "ill/iso18626/api.py": "answers an inbound message with a Confirmation echoing the peer's header",
    "ill/reports.py": "counts per library, never a request",
    "ill/report_csv.py": "the report's tables as CSV: counts per library, month, province and reason",
}
# Modules that may read the patron's identity directly: the rule itself, the model, and the
# writes that store what the patron (or their library's system) said.
IDENTITY_READERS = {
    "ill/visibility.py": "the rule",
    "ill/models.py": "the fields",
    "ill/services.py": "ill_request_create copies the patron's note into the request's first event",
    "ill/iso18626/services.py": "stores the requesting system's patronInfo",
    "ill/demo.py": "seeds demo requests",
}
# Output: calling one of these (or declaring a serializer) makes a module a surface.
OUTPUT_CALLS = {
    "render", "render_to_string", "Response", "notify", "csv_writer", "writerow", "serialize",
    "request_message", "supplying_agency_message", "requesting_agency_message", "FileResponse",
}  # fmt: skip


def _app_modules() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel and "/management/" not in rel:
                found.append(rel)
    return found


def _tree(rel: str) -> ast.Module:
    return ast.parse((ROOT / rel).read_text(encoding="utf-8"))


def _imports_ill(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ill":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "ill" for a in node.names):
            return True
    return False


def _outputs(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in OUTPUT_CALLS:
                return True
        if isinstance(node, ast.ClassDef) and any("Serializer" in ast.unparse(b) for b in node.bases):
            return True
    return False


def _uses_visibility(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.module == "ill.visibility"
            or (node.module == "ill" and any(a.name == "visibility" for a in node.names))
        ):
            return True
    return False


def test_every_module_that_shows_a_request_goes_through_the_rule():
    # given every app module that reads ILL data and writes something out
    surfaces = {
        rel
        for rel in _app_modules()
        if rel != "ill/visibility.py" and (tree := _tree(rel)) and (rel.startswith("ill/") or _imports_ill(tree))
        and _outputs(tree)
    }  # fmt: skip
    # then each is a known surface or declared to carry no request detail
    unknown = surfaces - set(SURFACES) - set(NO_REQUEST_DETAIL)
    assert not unknown, f"new surface(s) {sorted(unknown)}: route them through ill.visibility, list them here"
    assert set(SURFACES) <= surfaces, "a listed surface no longer writes anything out: update SURFACES"
    # and every surface asks ill.visibility
    for rel in SURFACES:
        assert _uses_visibility(_tree(rel)), f"{rel} shows requests without ill.visibility"


def _identity_reads(tree: ast.Module) -> list[str]:
    """Reads of the patron's identity: x.patron.y, x.actor.y (an event's person), the
    patron's note or id in the requesting system, an event's note as text."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chained = isinstance(node.value, ast.Attribute) and node.value.attr in ("patron", "actor")
        if chained or node.attr in ("patron_note", "patron_reference", "note_text"):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("rel", _app_modules())
def test_no_module_reads_the_patron_around_the_rule(rel):
    if rel in IDENTITY_READERS:
        return
    assert not _identity_reads(_tree(rel)), f"{rel} reads the patron directly: ask ill.visibility"


# In templates: a chain through the patron or an event's person, the patron's own fields.
TEMPLATE_IDENTITY = re.compile(
    r"\.patron\.|\.patron_note\b|\.patron_reference\b|\.note_text\b|\breq\.patron\b"
)
ILL_TEMPLATE_PERSON = re.compile(r"\.actor\.")

# Templates a patron reaches (pages and emails) must not name the back office at all.
PATRON_TEMPLATES = ["ill/my_request.html", "ill/my_requests.html", "emails/ill_patron_*"]
BACK_OFFICE = re.compile(
    r"supplier|\brota\b|reason_text|reason_unfilled|lender|messages_list|\blines\b|_timeline|"
    r"loan_condition|fee_pkr|\breasons\b|\bevents\b|_status\.html"
)


def _templates():
    base = ROOT / "templates"
    return sorted(p for p in base.rglob("*") if p.suffix in (".html", ".txt"))


def test_no_template_reads_the_patron_around_the_rule():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT / "templates").as_posix()
        if TEMPLATE_IDENTITY.search(text):
            offenders.append(rel)
        ill_template = rel.startswith(("ill/", "emails/ill_"))
        if ill_template and ILL_TEMPLATE_PERSON.search(text):
            offenders.append(rel)
    assert not offenders, f"templates reading the patron directly (use ill.visibility): {offenders}"


def test_patron_templates_name_nothing_of_the_back_office():
    base = ROOT / "templates"
    paths = [p for pattern in PATRON_TEMPLATES for p in sorted(base.glob(pattern))]
    assert len(paths) > 10  # the two pages and every notice to the patron
    for path in paths:
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"))
        found = BACK_OFFICE.findall(text)
        assert not found, f"{path.name} names back-office data {found}"


def test_api_serializers_take_patron_fields_only_from_the_rule():
    shapes = [
        api.BorrowerRequestOutputSerializer,
        api.RequestOutputSerializer,
        api.PatronRequestOutputSerializer,
    ]
    assert list(api.SERIALIZERS.values()) == shapes[:1] + shapes[1:2] + shapes[2:]
    for shape in shapes:
        for name, field in shape().fields.items():
            if name in visibility.PATRON_FIELDS:
                assert isinstance(field, serializers.SerializerMethodField), f"{shape.__name__}.{name}"
    assert not visibility.PATRON_FIELDS & set(api.RequestOutputSerializer.Meta.fields)
    patron_shape = set(api.PatronRequestOutputSerializer.Meta.fields)
    back_office = {"supplier", "supplier_status", "rota_position", "loan_condition", "fee_pkr", "borrower"}
    assert not patron_shape & back_office


def test_iso18626_messages_have_no_place_for_the_patron():
    for shape in (build.Header, build.Citation, build.SupplierStatus):
        names = set(shape.__dataclass_fields__)
        assert not {n for n in names if "patron" in n}, shape.__name__


def test_notes_to_the_patron_are_the_home_librarys_and_no_lender_reads_them():
    from ill.models import IllEvent

    for code in visibility.NOTE_TO_PATRON:
        action = states.ACTIONS[code]
        assert action.side == states.Side.REQUESTER and states.Role.BORROWER in action.roles, code
        event = IllEvent(action=code, actor_role=states.Role.BORROWER, note="Counter 2")
        assert visibility.note_for(event=event, reader=visibility.Reader.PATRON) == "Counter 2"
        assert visibility.note_for(event=event, reader=visibility.Reader.BORROWER) == "Counter 2"
        assert visibility.note_for(event=event, reader=visibility.Reader.LENDER) == ""
    # a lender's note is never the patron's; a note to the lender neither
    for code, role in (("will_supply", states.Role.LENDER), ("ship_return", states.Role.BORROWER)):
        event = IllEvent(action=code, actor_role=role, note="Between us")
        assert visibility.note_for(event=event, reader=visibility.Reader.PATRON) == ""
        assert visibility.note_for(event=event, reader=visibility.Reader.LENDER) == "Between us"


def test_readers():
    R, Role = visibility.Reader, states.Role
    assert visibility.reader_of({Role.BORROWER}) == R.BORROWER
    assert visibility.reader_of({Role.LENDER}) == R.LENDER
    assert visibility.reader_of({Role.PATRON}) == R.PATRON
    assert visibility.reader_of(set()) is None
    assert [visibility.sees_patron(r) for r in R] == [True, True, False]  # patron, borrower, lender
    assert [visibility.sees_back_office(r) for r in R] == [False, True, True]
    assert not visibility.sees_patron(None) and not visibility.sees_back_office(None)


# ---------------------------------------------------------------------------------------
# the patron's view, through a whole loan

LENDER_NOTE = "Pulled from the Sukkur storeroom"
LENDER_CHECK_IN = "Came back with a torn jacket"
MESSAGE = "Please send it by courier"
TO_PATRON = "Collect it at the circulation desk, counter 2"
PATRON_NOTE = "For my thesis chapter"


@pytest.fixture
def lender_in_urdu(lender):
    """The lender with an Urdu name of its own (the fixtures' two libraries share one)."""
    Library.objects.filter(pk=lender.pk).update(name_ur="دور کی جامعہ")
    lender.refresh_from_db()
    return lender


@pytest.fixture
def patron_language():
    """The language of the patron's emails (tests parametrize it)."""
    return "en"


@pytest.fixture
def loan(
    patron, patron_language, librarian, lender_in_urdu, lender_librarian, agreement, act,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """A patron's loan walked from request to check-in, with notes on every side."""
    patron.language = patron_language
    patron.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        req = ill_request_create(actor=patron, bib_record_id=held_by(lender_in_urdu).pk, note=PATRON_NOTE)
        act(req, "validate", librarian)
        route(request_id=req.pk)
        ill_message_send(request_id=req.pk, actor=librarian, body=MESSAGE)
        act(req, "will_supply", lender_librarian, note=LENDER_NOTE)
        act(req, "ship", lender_librarian)
        act(req, "receive", librarian, note=TO_PATRON)
    req.refresh_from_db()
    return req


def _finish(req, librarian, lender_librarian, act, capture):
    with capture(execute=True):
        act(req, "check_out", librarian)
        act(req, "return_by_patron", librarian)
        act(req, "ship_return", librarian)
        act(req, "check_in", lender_librarian, note=LENDER_CHECK_IN)
    req.refresh_from_db()
    assert req.status == states.COMPLETED
    return req


def _back_office(req, lender) -> list[str]:
    """What passes between the libraries on this request, as words that could leak."""
    staff = visibility.timeline(req=req, reader=visibility.Reader.BORROWER)
    (sent,) = [line for line in staff if line.action == "send_to_supplier"]
    assert sent.note  # routing's reason for this lender, which the home library reads
    return [LENDER_NOTE, LENDER_CHECK_IN, MESSAGE, sent.note, lender.code, lender.name, lender.name_ur]


def _client(user, language: str) -> Client:
    client = Client()
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def _patron_surfaces(req, patron, language: str) -> dict[str, str]:
    client = _client(patron, language)
    api_client = APIClient()
    api_client.force_authenticate(patron)
    pages = {
        "list": client.get("/ill/my-requests/"),
        "page": client.get(f"/ill/my-requests/{req.pk}/"),
        "api list": api_client.get("/api/v1/ill/requests/"),
        "api detail": api_client.get(f"/api/v1/ill/requests/{req.pk}/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in pages.items()}


def _patron_emails(patron) -> str:
    """Every email to the patron, checked to be wholly in their language."""
    mails = [e for e in OutboundEmail.objects.all() if patron.email in e.to]
    assert mails
    text = " ".join(e.subject + e.body for e in mails)
    english_greeting = "Dear " in text
    assert english_greeting == (patron.language == "en"), patron.language
    return text


def _label(message, language: str) -> str:
    with translation.override(language):
        return str(message)


@pytest.mark.parametrize(("language", "patron_language"), [("en", "en"), ("ur", "ur")])
def test_patron_sees_an_item_ready_for_pickup_without_the_back_office(loan, patron, lender, language):
    # given a loan ready for pickup, with notes, a message and a rota reason between libraries
    secrets = _back_office(loan, lender)
    # when the patron opens every page and API response about it
    surfaces = _patron_surfaces(loan, patron, language)
    page, api_detail = surfaces["page"], surfaces["api detail"]
    # then they read the status in plain words, their dates, where to pick it up, the note to them
    ready = _label(states.status(states.Side.REQUESTER, states.RECEIVED).patron_label, language)
    assert f'data-testid="status">{ready}</span>' in page and ready in surfaces["list"]
    for key in ("requested", "shipped", "ready", "due"):
        assert f'data-testid="date-{key}"' in page, key
    since = _label(_("Ready for pickup since"), language)
    assert since in page and (language == "en" or since != _label(_("Ready for pickup since"), "en"))
    pickup = re.search(r'data-testid="pickup">(.*?)</dd>', page, re.S).group(1)
    assert (loan.borrower.name_ur if language == "ur" else loan.borrower.name) in pickup
    assert TO_PATRON in page and PATRON_NOTE in page
    body = APIClient()
    body.force_authenticate(patron)
    data = body.get(f"/api/v1/ill/requests/{loan.pk}/").json()
    assert data["seen_as"] == "patron"
    assert data["status"] == states.RECEIVED and data["due_date"] == loan.due_date.isoformat()
    assert data["pickup"]["code"] == loan.borrower.code
    assert set(data["dates"]) == {"requested", "shipped", "ready", "due"}
    assert [m["text"] for m in data["messages"]] == [TO_PATRON]
    # and nothing that passes between the libraries, on any surface or in any email
    surfaces["emails"] = _patron_emails(patron)
    for name, text in surfaces.items():
        for secret in secrets:
            assert secret not in text, (name, secret)
    assert "supplier" not in api_detail and "rota" not in api_detail


@pytest.mark.parametrize(("language", "patron_language"), [("en", "en"), ("ur", "ur")])
def test_a_returned_loan_shows_no_due_date(
    loan, patron, lender, librarian, lender_librarian, act, django_capture_on_commit_callbacks, language
):
    # given the loan picked up, returned and checked in by the lender
    req = _finish(loan, librarian, lender_librarian, act, django_capture_on_commit_callbacks)
    assert req.due_date is not None  # still on the row, for the libraries
    # when the patron looks at it
    surfaces = _patron_surfaces(req, patron, language)
    page = surfaces["page"]
    # then it reads "Completed" with the dates of its journey, and no due date anywhere
    completed = _label(states.status(states.Side.REQUESTER, states.COMPLETED).label, language)
    status = re.search(r'data-testid="status">(.*?)</span>', page).group(1)
    assert status == completed
    due_label = _label(_("Due"), language)
    assert f"{status} · {due_label}" not in page and 'data-testid="date-due"' not in page
    for key in ("requested", "shipped", "ready", "picked_up", "returned"):
        assert f'data-testid="date-{key}"' in page, key
    row = re.search(rf"{req.reference}</a>.*?</tr>", surfaces["list"], re.S).group(0)
    assert re.search(r'data-testid="due"></td>', row)
    data = APIClient()
    data.force_authenticate(patron)
    detail = data.get(f"/api/v1/ill/requests/{req.pk}/").json()
    assert detail["due_date"] is None and "due" not in detail["dates"]
    # and the lender's check-in note, its name and the rota stay with the libraries
    surfaces["emails"] = _patron_emails(patron)
    for name, text in surfaces.items():
        for secret in _back_office(req, lender):
            assert secret not in text, (name, secret)


def test_the_borrowing_library_still_sees_everything(loan, librarian, lender, login):
    page = login(librarian).get(f"/ill/requests/{loan.pk}/").content.decode()
    for expected in (
        *_back_office(loan, lender)[:1],
        MESSAGE,
        PATRON_NOTE,
        loan.patron.card_number,
        TO_PATRON,
    ):
        assert expected in page, expected
    assert 'data-testid="rota"' in page and lender.code in page


def test_the_lender_sees_its_part_but_never_the_patron(loan, patron, lender_librarian, login):
    page = login(lender_librarian).get(f"/ill/requests/{loan.pk}/").content.decode()
    assert LENDER_NOTE in page and MESSAGE in page
    for secret in (PATRON_NOTE, patron.card_number, patron.last_name, patron.email):
        assert secret not in page
    client = APIClient()
    client.force_authenticate(lender_librarian)
    data = client.get(f"/api/v1/ill/requests/{loan.pk}/").json()
    assert data["seen_as"] == "lender" and not visibility.PATRON_FIELDS & set(data)


def test_a_lenders_note_on_cancelling_does_not_reach_the_patron(
    sent, patron, librarian, lender_librarian, act, django_capture_on_commit_callbacks
):
    # given the home library asks the lender to cancel
    with django_capture_on_commit_callbacks(execute=True):
        act(sent, "request_cancel", librarian, note="Patron no longer needs it")
        # when the lender agrees, with a note meant for the home library
        act(sent, "answer_cancel_yes", lender_librarian, note="Already half-pulled, fine")
    # then the patron is told it was cancelled, without the lender's words
    emails = _patron_emails(patron)
    assert "cancelled" in emails and "half-pulled" not in emails
    page = _client(patron, "en").get(f"/ill/my-requests/{sent.pk}/").content.decode()
    assert "half-pulled" not in page and "no longer needs" not in page


def test_home_library_refusal_reason_and_note_reach_the_patron(submitted, patron, librarian, act, login):
    act(submitted, "refuse", librarian, reason="held_locally", note="It is on our own shelf, 2nd floor")
    page = login(patron).get(f"/ill/my-requests/{submitted.pk}/").content.decode()
    messages_box = re.search(r'data-testid="patron-messages">(.*?)</ol>', page, re.S).group(1)
    assert "Held by your own library" in messages_box and "2nd floor" in messages_box


def test_patron_list_and_api_list_query_counts(patron, record, django_assert_max_num_queries):
    for _i in range(5):
        ill_request_create(actor=patron, bib_record_id=record.pk)
    client = APIClient()
    client.force_authenticate(patron)
    # one page of requests, each with its history: a fixed number of queries, not one per request
    with django_assert_max_num_queries(3):  # count, the page, the page's events
        body = client.get("/api/v1/ill/requests/").json()
    assert body["count"] == 5 and all(r["dates"]["requested"] for r in body["results"])


def test_messages_between_libraries_are_never_the_patrons(loan):
    assert IllMessage.objects.filter(request=loan).exists()
    assert visibility.messages(req=loan, reader=visibility.Reader.PATRON).count() == 0
    assert visibility.rota(req=loan, reader=visibility.Reader.PATRON).count() == 0
    assert visibility.timeline(req=loan, reader=visibility.Reader.PATRON) == []


def test_a_delivered_copy_shows_when_it_was_ready_and_no_pickup_place(
    patron, record, librarian, lender_librarian, act, login
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # given a copy request whose lender delivered the PDF
    req = ill_request_create(
        actor=patron, bib_record_id=record.pk, service_type="copy", article_title="Ch. 3"
    )
    act(req, "validate", librarian)
    route(request_id=req.pk)
    req = act(req, "deliver_copy", lender_librarian, file=SimpleUploadedFile("ch3.pdf", b"%PDF-1.4\n%%EOF\n"))
    # when the patron opens it
    page = login(patron).get(f"/ill/my-requests/{req.pk}/").content.decode()
    # then the copy's date is there, and nothing to pick up or return
    assert 'data-testid="date-copy_ready"' in page and 'data-testid="copy-link"' in page
    assert 'data-testid="pickup"' not in page and 'data-testid="date-due"' not in page


def test_a_patrons_notice_gets_only_the_event_data_it_needs():
    from ill.models import IllEvent

    event = IllEvent(action="mark_overdue", data={"renewal_lapsed": True, "rota_reason": {"code": "x"}})
    assert visibility.event_data(event=event, reader=visibility.Reader.PATRON) == {"renewal_lapsed": True}
    assert visibility.event_data(event=event, reader=visibility.Reader.BORROWER) == event.data
