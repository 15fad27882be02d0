"""Screens: request this item, my requests, queues with counts, bulk actions, request page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.contrib.staticfiles import finders
from django.utils import timezone

from ill import states
from ill.models import IllMessage, IllRequest, RotaEntry
from members.models import OutboundEmail
from tests.ill.factories import held_by


def test_request_this_item_from_record_page(patron, record, login):
    client = login(patron)
    page = client.get(f"/ill/requests/new/?record={record.pk}")
    assert page.status_code == 200 and record.title in page.content.decode()
    r = client.post(
        "/ill/requests/new/", {"record": record.pk, "service_type": "loan", "service_level": "normal"}
    )
    req = IllRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/ill/my-requests/{req.pk}/"
    mine = client.get("/ill/my-requests/").content.decode()
    assert req.reference in mine and "Received by your library" in mine


def test_request_form_shows_past_date_error_and_stores_nothing(patron, record, login):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    r = login(patron).post(
        "/ill/requests/new/",
        {"record": record.pk, "service_type": "loan", "service_level": "normal", "needed_by": yesterday},
    )
    assert r.status_code == 200 and "in the past" in r.content.decode()
    assert not IllRequest.objects.exists()


def test_anonymous_is_sent_to_login(client, record):
    r = client.get(f"/ill/requests/new/?record={record.pk}")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_patron_cancels_from_my_request(submitted, patron, login):
    client = login(patron)
    r = client.post(
        f"/ill/requests/{submitted.pk}/actions/cancel/", {"next": "mine", "expected_status": "submitted"}
    )
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == states.CANCELLED
    # the same click again (form submitted twice): a clear message, nothing changes
    page = client.post(
        f"/ill/requests/{submitted.pk}/actions/cancel/",
        {"next": "mine", "expected_status": "submitted"},
        follow=True,
    )
    assert "Someone else changed" in page.content.decode()


def test_queues_count_attention_and_filter(sent, librarian, lender_librarian, login):
    borrowing = login(librarian).get("/ill/borrowing/?status=open")
    assert borrowing.context["counts"]["borrowing_open"] == 1
    lending = login(lender_librarian).get("/ill/lending/?attention=1")
    assert lending.context["counts"]["lending_attention"] == 1
    assert [r.pk for r in lending.context["page"]] == [sent.pk]
    assert (
        login(lender_librarian).get("/ill/lending/?q=nothing-like-this").context["page"].paginator.count == 0
    )
    assert login(lender_librarian).get(f"/ill/lending/?q=ILL-{sent.pk}").context["page"].paginator.count == 1


def test_bulk_ship_reports_each_request(sent, lender_librarian, login, act):
    act(sent, "will_supply", lender_librarian)
    r = login(lender_librarian).post("/ill/lending/bulk-ship/", {"ids": [sent.pk, 999999]}, follow=True)
    text = r.content.decode()
    assert f"ILL-{sent.pk}" in text and "ILL-999999" in text
    sent.refresh_from_db()
    assert sent.status == states.SHIPPED


def test_pull_slips_have_print_stylesheet(sent, lender_librarian, login):
    r = login(lender_librarian).get(f"/ill/lending/pull-slips/?ids={sent.pk}")
    page = r.content.decode()
    assert page.count('data-testid="slip"') == 1
    # the print rules are a static stylesheet (the CSP refuses an inline <style>)
    assert 'href="/static/css/pull_slips.css"' in page
    assert "@media print" in Path(finders.find("css/pull_slips.css")).read_text()


def test_other_library_cannot_open_request_page(submitted, other_librarian, login):
    assert login(other_librarian).get(f"/ill/requests/{submitted.pk}/").status_code == 404


def test_lender_button_and_messages_between_libraries(sent, lender_librarian, librarian, login, library):
    client = login(lender_librarian)
    page = client.get(f"/ill/requests/{sent.pk}/").content.decode()
    assert 'data-testid="action-will_supply"' in page and 'data-testid="action-validate"' not in page
    client.post(f"/ill/requests/{sent.pk}/messages/", {"body": "Is the 2nd edition fine?"})
    message = IllMessage.objects.get()
    assert message.sender.code == "PK-AWAY" and message.recipient == library
    assert OutboundEmail.objects.filter(to=[library.email], subject__contains="Message on").exists()
    assert "2nd edition" in login(librarian).get(f"/ill/requests/{sent.pk}/").content.decode()


def test_staff_reorders_rota(patron, librarian, login, lender, second_lender, agreement, act):
    third = held_by(lender, second_lender)
    from ill.services import ill_request_create

    req = ill_request_create(actor=patron, bib_record_id=third.pk)
    req = act(req, "validate", librarian)
    from ill.routing import route

    route(request_id=req.pk)
    pending = RotaEntry.objects.get(request=req, status="pending")
    assert pending.position == 2
    # only one pending: moving it up does nothing to asked entries
    login(librarian).post(f"/ill/requests/{req.pk}/rota/", {"entry": pending.pk, "direction": "up"})
    pending.refresh_from_db()
    assert pending.position == 2
    assert req.events.filter(action="reorder_rota").count() == 1


def test_queue_and_api_list_queries_do_not_grow_with_requests(
    patron, record, librarian, login, django_assert_max_num_queries
):
    from rest_framework.test import APIClient

    from ill.services import ill_request_create

    for _ in range(3):
        ill_request_create(actor=patron, bib_record_id=record.pk)
    client = login(librarian)
    api = APIClient()
    api.force_authenticate(librarian)
    with django_assert_max_num_queries(12) as few:
        client.get("/ill/borrowing/")
    with django_assert_max_num_queries(12) as few_api:
        api.get("/api/v1/ill/requests/")
    for _ in range(20):
        ill_request_create(actor=patron, bib_record_id=record.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/ill/borrowing/")
    with django_assert_max_num_queries(len(few_api.captured_queries)):
        api.get("/api/v1/ill/requests/")


def test_request_form_says_when_the_home_library_has_it(patron, record, library, login):
    assert (
        'data-testid="held-here"'
        not in login(patron).get(f"/ill/requests/new/?record={record.pk}").content.decode()
    )
    held_by(library, record=record)
    assert (
        'data-testid="held-here"'
        in login(patron).get(f"/ill/requests/new/?record={record.pk}").content.decode()
    )


def test_request_form_rejects_bad_record_ids(patron, login):
    assert login(patron).get("/ill/requests/new/?record=abc").status_code == 404
    assert login(patron).get("/ill/requests/new/?record=999999").status_code == 404


def test_staff_request_a_citation_for_a_patron_by_card(librarian, patron, login, agreement):
    client = login(librarian)
    base = {"service_type": "copy", "service_level": "rush", "title": "Journal of the Research Society of Pakistan",
            "article_title": "Sufi shrines of Multan", "pages": "12-30"}  # fmt: skip
    r = client.post("/ill/requests/new/", {**base, "patron_card": "NO-SUCH-CARD"})
    assert r.status_code == 200 and "No patron of your library" in r.content.decode()
    assert not IllRequest.objects.exists()
    r = client.post("/ill/requests/new/", {**base, "patron_card": patron.card_number})
    req = IllRequest.objects.get()
    assert r["Location"] == f"/ill/requests/{req.pk}/"
    assert (req.patron, req.bib_record, req.service_level) == (patron, None, "rush")
    assert OutboundEmail.objects.filter(to=[patron.email], subject__contains="We received").exists()


def test_patron_cannot_type_a_citation(patron, login):
    r = login(patron).post("/ill/requests/new/", {"service_type": "loan", "service_level": "normal"})
    assert r.status_code == 200 and "Only library staff" in r.content.decode()


def test_lender_sees_its_past_answers_after_the_request_moved_on(sent, lender_librarian, login, act, patron):
    act(sent, "unfilled", lender_librarian, reason_unfilled="PoorCondition")
    page = login(lender_librarian).get("/ill/lending/?status=answered")
    text = page.content.decode()
    assert sent.reference in text and "Poor condition" in text  # ISO 18626 PoorCondition, as people read it
    assert patron.last_name not in text


def test_passed_over_lender_opens_its_part_read_only(passed_on, patron, login, act):
    from ill.routing import route
    from ill.services import ill_message_send

    # given a request the first lender could not supply, now with the second lender
    req, first, then = passed_on
    ill_message_send(request_id=req.pk, actor=first, body="Checked the Sukkur storeroom too")
    act(req, "unfilled", first, reason_unfilled="NotOnShelf", note="Missing since the flood")
    route(request_id=req.pk)
    ill_message_send(request_id=req.pk, actor=then, body="We have it at our Mirpur branch")
    # when the first lender follows the link from its past answers
    answers = login(first).get("/ill/lending/?status=answered").content.decode()
    assert f'href="/ill/requests/{req.pk}/"' in answers
    page = login(first).get(f"/ill/requests/{req.pk}/")
    text = page.content.decode()
    # then it sees its own part, read-only, and nothing about the patron or the next lender
    assert page.status_code == 200 and 'data-testid="past-lender"' in text
    assert "Not on shelf" in text and "Missing since the flood" in text and "Sukkur storeroom" in text
    assert "Mirpur branch" not in text and then.library.code not in text
    for secret in (patron.last_name, patron.card_number, patron.email):
        assert secret not in text
    assert "/actions/" not in text and "/messages/" not in text
    # and a library never asked still gets 404
    from tests.factories import LibrarianFactory, LibraryFactory

    stranger = LibrarianFactory(library=LibraryFactory(code="PK-STRANGER"))
    assert login(stranger).get(f"/ill/requests/{req.pk}/").status_code == 404


def test_on_an_urdu_page_the_request_heading_reads_as_one_unit_and_arrows_point_its_way(
    submitted, librarian, login
):
    # given the borrowing librarian reading in Urdu (right to left)
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    html = client.get(f"/ill/requests/{submitted.pk}/").content.decode()
    # then reference and title are one isolate ("ILL-1: title", not "title :ILL-1")
    assert f"<bdi>{submitted.reference}: {submitted.title}</bdi>" in html
    # and the timeline's arrows are turned to point the way the page reads
    assert '<span class="flip-rtl" aria-hidden="true">→</span>' in html
