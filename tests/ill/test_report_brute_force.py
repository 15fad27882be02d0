"""The ILL report's figures, recomputed by brute force from the requests, events and rota of
randomly walked requests: each figure as the report page defines it, and the categories
adding up (every request placed is exactly one of supplied, not supplied, in progress or
ended before a lender; every time a lender was asked is exactly one of five outcomes)."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Min

from ill import selectors, states
from ill.models import IllEvent, IllRequest, RotaEntry
from ill.reports import ill_report
from ill.routing import route
from ill.services import SYSTEM, actor_roles, ill_request_create, ill_request_transition
from policies.calendar import pakistan_date, working_days_between
from tests.ill.factories import held_by
from tests.ill.test_machine_properties import PAYLOAD

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))  # a Monday
WEEK_END = DAY.date() + timedelta(days=6)  # the period: requests placed on DAY, answered that week
REQUESTS = 40  # walks; with the seed below they end in every category the report counts


def _walk(rng: random.Random, req: IllRequest, people: list) -> None:
    """Press up to 14 of the buttons the screens offer, chosen at random."""
    for _ in range(rng.randint(0, 14)):
        req.refresh_from_db()
        offers = [
            (action, person)
            for person in people
            for action in selectors.available_actions(req=req, roles=actor_roles(person, req))
        ]
        if not offers:
            return
        action, person = rng.choice(offers)
        if action.code == "renew" and req.renewals_used >= req.renewals_allowed:
            continue
        payload = dict(PAYLOAD)
        if action.code == "deliver_copy":
            payload["file"] = SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n")
        ill_request_transition(request_id=req.pk, action=action.code, actor=person, **payload)
        route(request_id=req.pk)


def _brute_force(library_id: int) -> dict:
    """The report's figures for one library, counted request by request in Python."""
    figures = dict.fromkeys(
        ["requested", "supplied", "not_supplied", "in_progress", "ended_before_lender",
         "asked", "lent", "unfilled", "timed_out", "still_asked", "withdrawn"], 0,
    )  # fmt: skip
    for req in IllRequest.objects.filter(borrower_id=library_id):
        actions = set(IllEvent.objects.filter(request=req).values_list("action", flat=True))
        supplied = bool(actions & {"ship", "deliver_copy"})
        reached = "send_to_supplier" in actions
        ended = req.status in states.TERMINAL or req.status == states.END_OF_ROTA
        figures["requested"] += 1
        if supplied:
            figures["supplied"] += 1
        elif reached and ended:
            figures["not_supplied"] += 1
        elif not ended:
            figures["in_progress"] += 1
        else:
            figures["ended_before_lender"] += 1
    outcome = {
        RotaEntry.Status.SUPPLYING: "lent", RotaEntry.Status.UNFILLED: "unfilled",
        RotaEntry.Status.TIMED_OUT: "timed_out", RotaEntry.Status.ASKED: "still_asked",
        RotaEntry.Status.CANCELLED: "withdrawn",
    }  # fmt: skip
    for entry in RotaEntry.objects.filter(lender_id=library_id, asked_at__isnull=False):
        figures["asked"] += 1
        figures[outcome[entry.status]] += 1
    return figures


def test_the_report_agrees_with_a_brute_force_count_of_random_requests(
    patron,
    librarian,
    lender,
    lender_librarian,
    second_lender,
    second_lender_librarian,
    agreement,
    login,
    consortium_admin,
):
    rng = random.Random(20261205)
    people = [patron, librarian, lender_librarian, second_lender_librarian, SYSTEM]
    with time_machine.travel(DAY, tick=False):
        for n in range(REQUESTS):
            holders = rng.choice([[lender], [second_lender], [lender, second_lender]])
            service = rng.choice(["loan", "copy", "copy_or_loan"])
            req = ill_request_create(
                actor=patron,
                bib_record_id=held_by(*holders).pk,
                service_type=service,
                article_title=f"Part {n}",
            )
            # answered from the same day to the next Sunday: turnaround spans a weekend
            with time_machine.travel(DAY + timedelta(days=rng.randint(0, 6)), tick=False):
                _walk(rng, req, people)
        report = ill_report(start=DAY.date(), end=WEEK_END)
    rows = {row.library.pk: row for row in report.rows}
    seen = set()
    for library_id, row in rows.items():
        expected = _brute_force(library_id)
        assert {name: getattr(row, name) for name in expected} == expected, row.library.code
        # the categories add up, and the rates are what the page says they are
        assert row.requested == row.supplied + row.not_supplied + row.in_progress + row.ended_before_lender
        assert row.asked == row.lent + row.unfilled + row.timed_out + row.still_asked + row.withdrawn
        if row.supplied + row.not_supplied:
            assert row.fill_rate == pytest.approx(row.supplied / (row.supplied + row.not_supplied))
        if row.asked:
            assert row.lender_fill_rate == pytest.approx(row.lent / row.asked)
        assert row.net_lending == expected["lent"] - expected["supplied"]
        seen |= {name for name, value in expected.items() if value}
    # the walks reached every category, so every count above was really compared
    assert seen >= {"supplied", "not_supplied", "in_progress", "ended_before_lender", "lent", "unfilled",
                    "withdrawn", "still_asked"}  # fmt: skip
    total = report.total
    assert total.requested == REQUESTS == sum(row.requested for row in rows.values())
    # the month, the provinces and the reasons are the same requests grouped another way
    (month,) = report.months
    assert (month.requested, month.supplied, month.lent) == (total.requested, total.supplied, total.lent)
    assert sum(p.requested for p in report.provinces) == total.requested
    assert sum(p.lent for p in report.provinces) == total.lent
    unfilled = RotaEntry.objects.filter(status=RotaEntry.Status.UNFILLED)
    expected_reasons = {entry.reason_unfilled: unfilled.filter(reason_unfilled=entry.reason_unfilled).count()
                        for entry in unfilled}  # fmt: skip
    if total.timed_out:
        expected_reasons["NoAnswer"] = total.timed_out
    assert {code: n for code, _label, n in report.reasons} == expected_reasons
    # and the turnaround is the nearest-rank percentile of each request's working days
    shipped = sorted(
        working_days_between(DAY.date(), pakistan_date(moment))
        for moment in IllEvent.objects.filter(action__in=["ship", "deliver_copy"])
        .values("request")
        .annotate(first=Min("created_at"))
        .values_list("first", flat=True)
    )
    assert len(set(shipped)) > 1 and total.to_shipped_p50 == shipped[math.ceil(len(shipped) / 2) - 1]
    assert total.to_shipped_p90 == shipped[math.ceil(0.9 * len(shipped)) - 1]
    assert total.supplied == sum(row.supplied for row in rows.values())
    # and the page shows the consortium's fill rate with what it is a share of
    html = login(consortium_admin).get(f"/ill/reports/?start={DAY.date()}&end={WEEK_END}").content.decode()
    assert f"{total.supplied} supplied of {total.settled} that reached a lender and ended" in html
    # and which members lend more than they borrow: the lenders here, not the borrowing library
    assert {row.net_lending > 0 for row in rows.values()} == {True, False}
    lending = html.split('data-testid="report-lending"')[1]
    for row in rows.values():
        lending_row = lending.split(f'data-library="{row.library.code}"')[1].split("</tr>")[0]
        cell = lending_row.split('data-figure="net-lending">')[1]
        assert cell.startswith(f"<bdi>{'+' if row.net_lending > 0 else ''}{row.net_lending}</bdi>")
        assert ("net lender" in cell, "net borrower" in cell) == (row.net_lending > 0, row.net_lending < 0)
