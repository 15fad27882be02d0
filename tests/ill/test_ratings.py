"""Patrons rate their requests that ended (ill.ratings): invited once, on the page and by
email in their language; they answer once, may change it for a week, and no lender ever
sees who rated or what they wrote."""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from ill import states
from ill.models import Rating
from ill.ratings import rating_answer, rating_invite
from ill.reports import MIN_RATINGS_SHOWN, satisfaction
from ill.routing import route
from ill.services import ill_request_create
from tests.factories import PatronFactory
from tests.ill.factories import held_by

COMMENT = "The courier took a fortnight"


def _loan_completed(req, librarian, lender_librarian, act):
    """A loan walked from the lender's yes to its check-in."""
    for action, actor in [
        ("will_supply", lender_librarian), ("ship", lender_librarian), ("receive", librarian),
        ("check_out", librarian), ("return_by_patron", librarian), ("ship_return", librarian),
        ("check_in", lender_librarian),
    ]:  # fmt: skip
        req = act(req, action, actor)
    assert req.status == states.COMPLETED
    return req


@pytest.fixture
def ended(sent, librarian, lender_librarian, act, django_capture_on_commit_callbacks):
    """The patron's loan, supplied and returned: the request has ended."""
    with django_capture_on_commit_callbacks(execute=True):
        return _loan_completed(sent, librarian, lender_librarian, act)


def _invitations(patron) -> list:
    return [m for m in mail.outbox if m.to == [patron.email] and "How did we do" in m.subject]


def _rate(client, req, **data):
    return client.post(f"/ill/my-requests/{req.pk}/rating/", data)


# ---------------------------------------------------------------------------------------
# the invitation


def test_a_filled_request_invites_its_patron_once(ended, patron, django_capture_on_commit_callbacks, login):
    # given a loan that was supplied, returned and checked in
    # then its patron was invited once, by email and on its page
    (invitation,) = _invitations(patron)
    assert invitation.subject == f"How did we do with {ended.reference}?"
    assert f"/ill/my-requests/{ended.pk}/" in invitation.body and "Dear " in invitation.body
    rating = Rating.objects.get(request=ended)
    assert rating.invited_at is not None and rating.score is None
    page = login(patron).get(f"/ill/my-requests/{ended.pk}/").content.decode()
    assert 'data-testid="rating-form"' in page and 'type="radio" name="score" value="5"' in page
    # when the invitation is asked for again (a repeated delivery, a later transition)
    with django_capture_on_commit_callbacks(execute=True):
        assert rating_invite(request=ended) is None
    # then nothing more is sent or stored
    assert len(_invitations(patron)) == 1 and Rating.objects.count() == 1


def test_an_unfilled_request_invites_its_patron_in_their_language(
    library, record, librarian, lender_librarian, act, django_capture_on_commit_callbacks
):
    # given a patron who reads Urdu, whose request no lender could supply
    reader = PatronFactory(library=library, language="ur", first_name="Sana")
    with django_capture_on_commit_callbacks(execute=True):
        req = act(ill_request_create(actor=reader, bib_record_id=record.pk), "validate", librarian)
        route(request_id=req.pk)
        act(req, "unfilled", lender_librarian, reason_unfilled="NotOnShelf")
        route(request_id=req.pk)
        req.refresh_from_db()
        assert req.status == states.END_OF_ROTA and not Rating.objects.exists()  # not ended yet
        # when the borrowing library closes it
        act(req, "cancel", librarian)
    # then the patron is invited once, in Urdu
    asked = f"{req.reference} میں ہماری خدمت کیسی رہی؟"  # "How did we do with ILL-n?"
    (invitation,) = [m for m in mail.outbox if m.to == [reader.email] and m.subject == asked]
    assert "محترم Sana" in invitation.body and "Dear" not in invitation.body
    assert Rating.objects.filter(request=req).count() == 1


def test_a_request_without_a_patron_invites_nobody(librarian, act, django_capture_on_commit_callbacks):
    # given staff's request for a citation, for no patron
    with django_capture_on_commit_callbacks(execute=True):
        req = ill_request_create(actor=librarian, title="Gazetteer of the Multan District, 1923-24")
        # when it ends
        act(req, "cancel", librarian)
    # then nobody is invited to rate it
    assert req.status == states.CANCELLED and not Rating.objects.exists()
    assert not [m for m in mail.outbox if "How did we do" in m.subject]


def test_an_open_request_has_no_rating_to_give(sent, patron, login):
    client = login(patron)
    assert 'data-testid="rating"' not in client.get(f"/ill/my-requests/{sent.pk}/").content.decode()
    response = _rate(client, sent, score="5")
    assert response.status_code == 302 and not Rating.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "This request can be rated once it has ended." in page


# ---------------------------------------------------------------------------------------
# answering


def test_patron_rates_changes_within_the_week_and_then_it_is_final(ended, patron, login):
    client = login(patron)
    first = timezone.now()
    # when the patron rates it
    with time_machine.travel(first, tick=False):
        response = _rate(client, ended, score="4", comment=COMMENT)
    assert response.status_code == 302 and response["Location"] == f"/ill/my-requests/{ended.pk}/"
    rating = Rating.objects.get(request=ended)
    assert (rating.score, rating.comment, rating.answered_at) == (4, COMMENT, first)
    # and changes their mind six days later
    with time_machine.travel(first + timedelta(days=6), tick=False):
        page = client.get(f"/ill/my-requests/{ended.pk}/").content.decode()
        assert "You rated it 4 out of 5." in page and COMMENT in page and "Change my answer" in page
        _rate(client, ended, score="2", comment="")
    rating.refresh_from_db()
    assert (rating.score, rating.comment, rating.answered_at) == (2, "", first)
    # then a week after the first answer it is final: the page says so and a change is refused
    with time_machine.travel(first + timedelta(days=7, minutes=1), tick=False):
        page = client.get(f"/ill/my-requests/{ended.pk}/").content.decode()
        assert 'data-testid="rating-final"' in page and 'data-testid="rating-form"' not in page
        assert "You rated it 2 out of 5." in page
        refused = client.get(_rate(client, ended, score="5")["Location"]).content.decode()
    assert "Your rating became final on" in refused
    rating.refresh_from_db()
    assert rating.score == 2


def test_only_the_requests_own_patron_may_rate_it(
    ended, library, librarian, lender_librarian, other_librarian, login
):
    # given another patron of the same library, the two libraries' staff
    others = [(PatronFactory(library=library), 404), (librarian, 403), (lender_librarian, 403)]
    for person, status in others:
        # when they try to rate the request
        response = _rate(login(person), ended, score="1", comment="Not mine to rate")
        # then they are refused as elsewhere, and nothing is stored
        assert response.status_code == status, person
    assert Rating.objects.get(request=ended).score is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"score": "0"}, "Choose a rating from 1 (very poor) to 5 (very good)."),
        ({"score": "6"}, "Choose a rating from 1 (very poor) to 5 (very good)."),
        ({"score": "four"}, "Choose a rating from 1 (very poor) to 5 (very good)."),
        ({"comment": "Good"}, "Choose a rating from 1 (very poor) to 5 (very good)."),
        ({"score": "3", "comment": "x" * 2001}, "The comment is 2001 characters long; keep it to 2000."),
    ],
)
def test_bad_input_is_explained_on_the_form_and_stores_nothing(ended, patron, login, data, message):
    response = _rate(login(patron), ended, **data)
    page = response.content.decode()
    assert response.status_code == 200 and message in page and 'data-testid="rating-form"' in page
    assert 'aria-invalid="true"' in page
    rating = Rating.objects.get(request=ended)
    assert (rating.score, rating.comment, rating.answered_at) == (None, "", None)


# ---------------------------------------------------------------------------------------
# who sees a rating


def test_the_borrowing_library_reads_the_rating_and_no_lender_does(
    ended, patron, librarian, lender_librarian, login
):
    from rest_framework.test import APIClient

    # given the patron's rating with a comment
    _rate(login(patron), ended, score="2", comment=COMMENT)
    # then the borrowing library reads it on its request page
    home = login(librarian).get(f"/ill/requests/{ended.pk}/").content.decode()
    assert 'data-testid="rating"' in home and "2 out of 5" in home and COMMENT in home
    # and the lender reads neither the rating nor the comment, nor who gave it, anywhere
    client = login(lender_librarian)
    api = APIClient()
    api.force_authenticate(lender_librarian)
    surfaces = {
        "page": client.get(f"/ill/requests/{ended.pk}/"),
        "queue": client.get("/ill/lending/?status=LoanCompleted"),
        "api": api.get(f"/api/v1/ill/requests/{ended.pk}/"),
    }
    assert ended.reference in surfaces["queue"].content.decode()
    for name, response in surfaces.items():
        text = response.content.decode()
        assert response.status_code == 200, name
        for secret in (COMMENT, "out of 5", 'data-testid="rating"', patron.last_name, patron.email):
            assert secret not in text, (name, secret)


# ---------------------------------------------------------------------------------------
# the consortium's figures

DAY = datetime(2026, 3, 2, 11, 0, tzinfo=ZoneInfo("Asia/Karachi"))  # a Monday
REQUESTS = 45  # with the seed below, some libraries' rows are shown and some held back
ENDINGS = ["refused", "cancelled", "unfilled", "copy", "loan", "copy"]


@dataclass(frozen=True)
class Asked:
    """One invitation as the test made it: whose, who supplied it, when, the answer."""

    borrower_id: int
    supplier_id: int | None  # the lender that supplied it; None when nobody did
    in_period: bool
    score: int | None


def _walk_to_an_end(ending, req, patron, staff, lender_staff, act):
    """Walk a request to the given ending; True when its lender supplied it."""
    home = staff[patron.library_id]
    if ending in ("refused", "cancelled"):
        act(req, "refuse", home, reason="other") if ending == "refused" else act(req, "cancel", patron)
        return False
    act(req, "validate", home)
    route(request_id=req.pk)
    if ending == "unfilled":  # the only holder says no: end of rota, then the library closes it
        act(req, "unfilled", lender_staff, reason_unfilled="NotOnShelf")
        route(request_id=req.pk)
        act(req, "cancel", home)
        return False
    if ending == "copy":
        act(req, "deliver_copy", lender_staff, file=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n"))
        act(req, "complete_copy", patron)
        return True
    _loan_completed(req, home, lender_staff, act)
    return True


@pytest.fixture
def asked(
    library, lender, second_lender, librarian, lender_librarian, second_lender_librarian, agreement, act
) -> list[Asked]:
    """Requests of patrons of three libraries, ended at random on the report's day or the
    next, and answered at random (or not) within the week."""
    rng = random.Random(20261205)
    staff = {library.pk: librarian, lender.pk: lender_librarian, second_lender.pk: second_lender_librarian}
    libraries = [library, lender, second_lender]
    patrons = [PatronFactory(library=lib) for lib in [library, library, library, lender, second_lender]]
    made = []
    for n in range(REQUESTS):
        patron = rng.choice(patrons)
        holder = rng.choice([lib for lib in libraries if lib.pk != patron.library_id])
        ending, in_period = rng.choice(ENDINGS), rng.random() < 0.8
        with time_machine.travel(DAY if in_period else DAY + timedelta(days=1), tick=False):
            req = ill_request_create(
                actor=patron, bib_record_id=held_by(holder).pk, article_title=f"Part {n}",
                service_type="copy" if ending == "copy" else "loan",
            )  # fmt: skip
            supplied = _walk_to_an_end(ending, req, patron, staff, staff[holder.pk], act)
        score = rng.choice([None, 1, 2, 3, 4, 5, 5, 4])
        if score is not None:
            with time_machine.travel(DAY + timedelta(days=rng.randint(1, 6)), tick=False):
                rating_answer(request_id=req.pk, actor=patron, score=score, comment=f"Answer {n}")
        made.append(Asked(patron.library_id, holder.pk if supplied else None, in_period, score))
    return made


def _brute_force(asked: list[Asked], side: str) -> dict[int | None, dict]:
    """Invited, rated, distribution, mean and response rate per library (None: all),
    counted invitation by invitation."""
    scores: dict[int | None, list] = defaultdict(list)
    for a in asked:
        library_id = a.borrower_id if side == "borrower" else a.supplier_id
        if a.in_period and (side == "borrower" or a.supplier_id is not None):
            scores[library_id].append(a.score)
            scores[None].append(a.score)
    figures = {}
    for library_id, answers in scores.items():
        rated = [s for s in answers if s is not None]
        mean = Fraction(sum(rated), len(rated)) if rated else None
        figures[library_id] = {
            "invited": len(answers),
            "rated": len(rated),
            "distribution": tuple(rated.count(score) for score in range(1, 6)),
            # one decimal, halves up
            "mean": None if mean is None else Decimal(math.floor(mean * 10 + Fraction(1, 2))) / 10,
            "response_rate": len(rated) / len(answers),
        }
    return figures


def test_the_satisfaction_figures_agree_with_a_brute_force_count(asked, library, lender, second_lender):
    found = satisfaction(start=DAY.date(), end=DAY.date())
    assert {row.library for row in found.as_borrower.rows} == {library, lender, second_lender}
    shown, held_back = set(), set()
    for side, table in found.tables:
        expected = _brute_force(asked, side)
        for row in [*table.rows, table.total]:
            key = row.library.pk if row.library else None
            want = expected.get(key, {"invited": 0, "rated": 0, "distribution": (0,) * 5, "mean": None})
            got = {name: getattr(row, name) for name in want}
            assert got == want, (side, row.library)
        # a row's figures are shown from 5 ratings on, and the rows held back hold none or 5+
        hidden = [row for row in table.rows if not row.shown]
        assert all(row.rated >= MIN_RATINGS_SHOWN for row in table.rows if row.shown)
        assert not 0 < sum(row.rated for row in hidden) < MIN_RATINGS_SHOWN
        assert table.total.shown == (table.total.rated >= MIN_RATINGS_SHOWN)
        shown |= {(side, row.library.code) for row in table.rows if row.shown}
        held_back |= {(side, row.library.code) for row in hidden if row.rated}
    # the walks made rows of both kinds on both sides, so each rule above was exercised
    assert {side for side, _code in shown} == {"borrower", "lender"} and held_back
    # and the requests ended the next day are left out
    assert found.as_borrower.total.invited == sum(a.in_period for a in asked) < len(asked)


def test_the_report_page_shows_satisfaction_in_english_and_urdu(
    asked, consortium_admin, login, library, second_lender
):
    day = DAY.date().isoformat()
    client = login(consortium_admin)
    found = satisfaction(start=DAY.date(), end=DAY.date())
    home = next(row for row in found.as_borrower.rows if row.library == library)
    small = next(row for row in found.as_borrower.rows if row.few and row.rated)
    held = next(row for row in found.as_borrower.rows if not row.shown and not row.few)
    assert home.shown
    # in English
    html = client.get(f"/ill/reports/?start={day}&end={day}").content.decode()
    table = re.search(r'data-testid="satisfaction-borrower">(.*?)</table>', html, re.S).group(1)
    row = re.search(rf'data-library="{library.code}">(.*?)</tr>', table, re.S).group(1)
    assert f">{home.rated}<" in row and f">{home.response_rate_pct}%<" in row and f">{home.mean}<" in row
    other = re.search(rf'data-library="{small.library.code}">(.*?)</tr>', table, re.S).group(1)
    assert "fewer than 5" in other and "%" not in other
    held_row = re.search(rf'data-library="{held.library.code}">(.*?)</tr>', table, re.S).group(1)
    assert 'data-figure="rated">not shown<' in held_row and "%" not in held_row
    assert "Response rate = rated ÷ invited." in html and "Mean rating" in html
    for secret in ("Answer 1", *(a.comment for a in Rating.objects.exclude(comment=""))):
        assert secret not in html
    # and in Urdu
    client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    html = client.get(f"/ill/reports/?start={day}&end={day}").content.decode()
    assert "قارئین کا اطمینان" in html and "جواب کی شرح = درجہ دیا ÷ مدعو۔" in html and "5 سے کم" in html
    for english in ("Patron satisfaction", "Response rate", "fewer than 5", "Mean rating"):
        assert english not in html


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_patron_rates_through_the_api_and_a_lender_never_sees_it(
    ended, patron, librarian, lender_librarian, second_lender_librarian
):
    url = f"/api/v1/ill/requests/{ended.pk}/rating/"
    invited = _api(patron).get(url).json()
    assert invited["score"] is None and invited["invited_at"] and invited["changeable_until"] is None
    answered = _api(patron).put(url, {"score": 4, "comment": "Quick"}, format="json")
    assert (
        answered.status_code == 200 and answered.json()["score"] == 4 and answered.json()["changeable_until"]
    )
    assert Rating.objects.get(request=ended).score == 4
    # the patron's library reads it; the lender and others are told there is no such thing
    assert _api(librarian).get(url).json()["comment"] == "Quick"
    assert _api(lender_librarian).get(url).status_code == 404
    assert _api(second_lender_librarian).get(url).status_code == 404
    # staff cannot rate for the patron, and a bad score says what is wrong and keeps the 4
    assert _api(librarian).put(url, {"score": 1}, format="json").status_code == 403
    bad = _api(patron).put(url, {"score": 9}, format="json")
    assert bad.status_code == 400 and "score" in bad.content.decode()
    assert Rating.objects.get(request=ended).score == 4


def test_an_open_request_has_no_rating_yet_in_the_api(sent, patron):
    answer = _api(patron).get(f"/api/v1/ill/requests/{sent.pk}/rating/")
    assert answer.status_code == 404 and "once it has ended" in answer.content.decode()
