"""Patrons rate their requests that ended (ill.ratings): invited once, on the page and by
email in their language; they answer once, may change it for a week, and no lender ever
sees who rated or what they wrote."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from ill import states
from ill.models import Rating
from ill.ratings import rating_invite
from ill.routing import route
from ill.services import ill_request_create
from tests.factories import PatronFactory

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
