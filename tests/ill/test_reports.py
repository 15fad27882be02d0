"""Consortium ILL report: fill rate, turnaround, lender figures, load; CSV; no patrons."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ill.reports import ill_report
from ill.routing import route
from ill.services import ill_request_create
from ill.timers import loans_overdue
from members.models import Library
from tests.ill.factories import held_by

PKT = ZoneInfo("Asia/Karachi")
START = datetime(2026, 3, 2, 9, 0, tzinfo=PKT)  # a Monday


@pytest.fixture
def story(patron, librarian, lender, lender_librarian, record, act):
    """Three requests from PK-HOME to PK-AWAY: one lent and received after 2 days, one
    not supplied (cancelled after the lender said no), one refused by the home library."""
    with time_machine.travel(START, tick=False):
        lent = act(ill_request_create(actor=patron, bib_record_id=record.pk), "validate", librarian)
        route(request_id=lent.pk)
        other = held_by(lender)
        unfilled = act(ill_request_create(actor=patron, bib_record_id=other.pk), "validate", librarian)
        route(request_id=unfilled.pk)
        refused = held_by(lender)
        refused = act(
            ill_request_create(actor=patron, bib_record_id=refused.pk), "refuse", librarian, reason="other"
        )
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        act(lent, "will_supply", lender_librarian)
        act(unfilled, "unfilled", lender_librarian, reason_unfilled="NotOnShelf")
        route(request_id=unfilled.pk)  # nobody else holds it: end of rota
        act(unfilled, "cancel", librarian)
        act(lent, "ship", lender_librarian)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        lent = act(lent, "receive", librarian)
        act(lent, "check_out", librarian)
    return {"lent": lent, "unfilled": unfilled, "refused": refused}


def test_figures_count_supplied_not_supplied_and_leave_out_refusals(story, library, lender):
    report = ill_report(start=START.date(), end=START.date())
    home = next(r for r in report.rows if r.library == library)
    away = next(r for r in report.rows if r.library == lender)
    # borrower side: 3 placed, 1 supplied, 1 not supplied, the refusal ended before a lender
    assert (home.requested, home.supplied, home.not_supplied, home.in_progress) == (3, 1, 1, 0)
    assert home.ended_before_lender == 1
    assert home.fill_rate == 0.5 and home.fill_rate_pct == 50
    # placed on Monday, shipped the same day, received on Wednesday: 0 and 2 working days
    assert (home.to_shipped_p50, home.to_shipped_p90, home.to_received_p50, home.to_received_p90) == (
        0,
        0,
        2,
        2,
    )
    # lender side: asked twice, lent once, said no once, answered in 3 hours
    assert (away.asked, away.lent, away.unfilled, away.timed_out) == (2, 1, 1, 0)
    assert away.lender_fill_rate == 0.5 and away.answer_hours == 3
    assert away.unfilled_reasons == {"NotOnShelf": 1}
    assert (away.on_loan_now, home.on_loan_now) == (1, 0)
    assert (report.total.requested, report.total.supplied, report.total.asked) == (3, 1, 2)


def test_period_outside_the_requests_counts_nothing(story):
    report = ill_report(start=START.date() + timedelta(days=1), end=START.date() + timedelta(days=30))
    assert report.total.requested == 0 and report.total.fill_rate is None
    assert report.total.on_loan_now == 1  # today's load whatever the period


def test_overdue_loans_are_listed_for_the_consortium(story, lender):
    lent = story["lent"]
    with time_machine.travel(datetime.combine(lent.due_date + timedelta(days=1), datetime.min.time(), PKT)):
        assert loans_overdue(limit=10) == 1
        report = ill_report(start=START.date(), end=START.date())
    assert [r.pk for r in report.overdue] == [lent.pk]
    assert next(r for r in report.rows if r.library == lender).overdue_now == 1


def test_report_page_and_csv_for_consortium_admin_without_patrons(story, consortium_admin, login, patron):
    client = login(consortium_admin)
    day = START.date().isoformat()
    page = client.get(f"/ill/reports/?start={day}&end={day}")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-library="PK-HOME"' in text and "50%" in text
    assert text.count("<h1") == 1 and "Interlibrary loan across the consortium</h1>" in text
    for secret in (patron.last_name, patron.card_number, patron.email):
        assert secret not in text
    response = client.get(f"/ill/reports/?start={day}&end={day}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    home = next(r for r in rows if r["library"] == "PK-HOME")
    assert (home["requested"], home["supplied"], home["fill_rate"]) == ("3", "1", "0.500")
    assert rows[-1]["library"] == "ALL"


def test_report_csv_shows_a_library_name_formula_as_text(story, consortium_admin, login, lender):
    # given a member library whose name is a spreadsheet formula (with an override in it)
    formula = '=HYPERLINK("http://x","y")'
    Library.objects.filter(pk=lender.pk).update(name=formula + "\u202e")
    # when the consortium admin downloads the report
    day = START.date().isoformat()
    response = login(consortium_admin).get(f"/ill/reports/?start={day}&end={day}&format=csv")
    text = response.content.decode()
    # then the name is text in a spreadsheet, the figures stay numbers
    rows = list(csv.DictReader(io.StringIO(text)))
    away = next(r for r in rows if r["library"] == "PK-AWAY")
    assert away["name"] == "'" + formula
    assert (away["asked_to_lend"], away["lender_fill_rate"]) == ("2", "0.500")
    assert "\nPK-AWAY,\"'=HYPERLINK(" in text and ",2,1,1,0,0,0,0.500," in text
    assert "\u202e" not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-10&end=2026-03-01", "must not be after"),
        ("start=2020-01-01&end=2026-03-01", "at most"),
        ("start=yesterday&end=2026-03-01", "Enter a valid date"),
    ],
)
def test_bad_period_is_explained_and_nothing_downloads(consortium_admin, login, query, message):
    client = login(consortium_admin)
    page = client.get(f"/ill/reports/?{query}")
    assert page.status_code == 200 and message in page.content.decode()
    download = client.get(f"/ill/reports/?{query}&format=csv")
    assert not download["Content-Type"].startswith("text/csv")


def test_patrons_cannot_see_the_report(patron, login):
    assert login(patron).get("/ill/reports/").status_code == 403
    assert login(patron).get("/ill/reports/?format=csv").status_code == 403


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</table>")[0]


def test_a_librarian_sees_their_own_library_beside_the_consortium(story, librarian, login):
    # given PK-HOME borrowed from PK-AWAY (the story), and a librarian of PK-HOME
    day = START.date().isoformat()
    # when the librarian opens the report from their desk
    client = login(librarian)
    assert 'data-testid="tool-ill-report"' in client.get("/desk/").content.decode()
    page = client.get(f"/ill/reports/?start={day}&end={day}").content.decode()
    # then every per-library table holds their own row only, the consortium's totals stay
    assert "Interlibrary loan: Home University" in page and 'data-testid="own-library-only"' in page
    assert page.count("<h1") == 1
    for table in (
        "report",
        "report-lending",
        "satisfaction-borrower",
        "satisfaction-lender",
        "chart-balance",
    ):
        rows = _section(page, table)
        assert "PK-AWAY" not in rows, table
    assert 'data-library="PK-HOME"' in _section(page, "report")
    assert 'data-library="PK-HOME"' in _section(page, "chart-balance")
    assert "1 supplied of 2 that reached a lender" in page  # the consortium's totals
    # the months are their library's, and there are no provinces (one member's would show)
    assert "Home University, month by month" in page
    assert 'data-testid="provinces"' not in page and 'data-testid="chart-balance-months"' in page


def test_a_librarian_cannot_get_another_library_by_its_address(story, librarian, login, lender):
    client = login(librarian)
    period = f"start={START.date()}&end={START.date() + timedelta(days=40)}"
    # when the address asks for PK-AWAY's months and reasons
    page = client.get(f"/ill/reports/?{period}&library=PK-AWAY").content.decode()
    # then the page is PK-HOME's: its months (it lent nothing), and the lender's "no" is not there
    assert "Home University, month by month" in page and "Away" not in page.split("<main")[1]
    assert 'data-reason="NotOnShelf"' not in page
    # and so are the CSVs; the provinces' is refused
    months = _csv(client, f"{period}&library=PK-AWAY&table=months")
    assert {r["library"] for r in months} == {"PK-HOME"} and months[0]["requested"] == "3"
    assert _csv(client, f"{period}&library=PK-AWAY&table=reasons") == []
    assert [r["library"] for r in _csv(client, f"{period}&library=PK-AWAY")] == ["PK-HOME", "ALL"]
    satisfaction = _csv(client, f"{period}&table=satisfaction")
    assert {r["library"] for r in satisfaction} == {"PK-HOME", "ALL"}
    assert client.get(f"/ill/reports/?{period}&format=csv&table=provinces").status_code == 403


def test_a_lenders_librarian_sees_its_lending_and_the_reasons_it_gave(story, lender_librarian, login):
    period = f"start={START.date()}&end={START.date() + timedelta(days=40)}"
    client = login(lender_librarian)
    page = client.get(f"/ill/reports/?{period}").content.decode()
    lending = _section(page, "report-lending")
    assert 'data-library="PK-AWAY"' in lending and "PK-HOME" not in lending
    assert 'data-reason="NotOnShelf"' in page and "net lender" in _section(page, "chart-balance")


def _csv(client, query: str) -> list[dict]:
    response = client.get(f"/ill/reports/?{query}&format=csv")
    assert response["Content-Type"].startswith("text/csv"), response.status_code
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_library_month_by_month_with_its_reasons_and_each_table_as_csv(
    story, consortium_admin, login, lender
):
    client = login(consortium_admin)
    period = f"start={START.date()}&end={START.date() + timedelta(days=40)}"
    # the lender's months: March and April, it lent once in March; why it said no
    page = client.get(f"/ill/reports/?{period}&library=PK-AWAY").content.decode()
    months = page.split('data-testid="chart-months"')[1].split("</figure>")[0]
    assert months.count("<tr>") == 3 and "Mar 2026" in months and "Apr 2026" in months
    reasons = page.split('data-testid="reasons"')[1].split("</section>")[0]
    assert 'data-reason="NotOnShelf"' in reasons and "Not on shelf" in reasons and "100%" in reasons
    rows = _csv(client, f"{period}&library=PK-AWAY&table=months")
    assert [(r["month"], r["library"], r["lent"], r["requested"]) for r in rows] == [
        ("2026-03", "PK-AWAY", "1", "0"),
        ("2026-04", "PK-AWAY", "0", "0"),
    ]
    assert _csv(client, f"{period}&library=PK-AWAY&table=reasons") == [
        {"library": "PK-AWAY", "reason": "NotOnShelf", "times": "1"}
    ]
    # the borrowing library's province holds its three requests; every province is listed
    provinces = {r["province"]: r for r in _csv(client, f"{period}&table=provinces")}
    home = Library.objects.get(code="PK-HOME")
    assert provinces[home.province]["requested"] == "3" and provinces[home.province]["members"] != "0"
    assert len(provinces) == 7
    # satisfaction: nobody rated, and nothing held back is written out
    satisfaction = _csv(client, f"{period}&table=satisfaction")
    assert {r["side"] for r in satisfaction} == {"borrower", "lender"}
    assert all(r["mean_rating"] == "" for r in satisfaction)
    assert client.get(f"/ill/reports/?{period}&format=csv&table=patrons").status_code == 404


def test_the_balance_names_net_lenders_and_borrowers(story, consortium_admin, login):
    day = START.date().isoformat()
    page = login(consortium_admin).get(f"/ill/reports/?start={day}&end={day}").content.decode()
    balance = page.split('data-testid="balance"')[1].split("</section>")[0]
    away = balance.split('data-library="PK-AWAY"')[1].split("</tr>")[0]
    home = balance.split('data-library="PK-HOME"')[1].split("</tr>")[0]
    assert 'data-value="1"' in away and "net lender" in away
    assert 'data-value="-1"' in home and "net borrower" in home


def test_an_unknown_library_is_explained(consortium_admin, login):
    page = login(consortium_admin).get("/ill/reports/?start=2026-03-01&end=2026-03-02&library=PK-NOPE")
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()


def test_a_period_of_whole_months_reads_their_month_rows_and_agrees_with_the_days(story):
    from ill.models import DayFigures

    one_day = ill_report(start=START.date(), end=START.date())
    months = ill_report(
        start=START.date().replace(day=1) - timedelta(days=10), end=START.date() + timedelta(days=40)
    )
    assert DayFigures.objects.filter(month=True, day=START.date().replace(day=1)).exists()

    def figures(report):
        return {
            row.library.code: (row.requested, row.supplied, row.not_supplied, row.asked, row.lent, row.unfilled,
                               row.to_shipped_p50, row.to_received_p90, row.answer_hours, row.unfilled_reasons)
            for row in report.rows
        }  # fmt: skip

    assert figures(months) == figures(one_day) and months.total.requested == 3


def test_a_period_running_to_today_reads_this_months_row(story):
    from ill.models import DayFigures

    first, today = START.date().replace(day=1), START.date() + timedelta(days=18)
    with time_machine.travel(START + timedelta(days=18), tick=False):  # Friday 20 March
        to_today = ill_report(start=first, end=today)  # counts every day so far
        assert (to_today.total.requested, to_today.total.supplied) == (3, 1)
        DayFigures.objects.filter(month=False).delete()  # what is left is March's month row
        assert ill_report(start=first, end=today).total.requested == 3
        assert ill_report(start=first, end=today + timedelta(days=30)).total.requested == 3
        # a period ending before today cannot use the month row: it reads the (deleted) days
        assert ill_report(start=first, end=today - timedelta(days=1)).total.requested == 0
