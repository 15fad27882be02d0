"""Annual reports (/reports/annual/<year>/[<library>/]): the year's figures, each defined
where shown, for consortium admins and a library's own staff; printable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client

from tests.evidence.conftest import TODAY
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def _get(client: Client, url: str):
    with time_machine.travel(TODAY, tick=False):
        return client.get(url)


def _figure(html: str, name: str) -> str:
    row = re.search(rf'<tr data-figure="{name}">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[0]).strip()


def test_a_librarys_report_gives_its_years_figures_each_defined(year_of_sharing, librarian, login):
    # given PK-HOME's year: 9 requests, 6 supplied, 2 not, 1 open; it lent nothing
    # when its librarian opens its report for 2026
    response = _get(login(librarian), "/reports/annual/2026/PK-HOME/")
    html = response.content.decode()
    # then the year's figures are there
    assert response.status_code == 200
    assert "Home University: annual report 2026" in html
    assert [_figure(html, name) for name in ("requested", "supplied", "not-supplied", "in-progress")] == [
        "9", "6", "2", "1",
    ]  # fmt: skip
    assert _figure(html, "fill-rate") == "75%"
    assert (_figure(html, "asked"), _figure(html, "lent"), _figure(html, "lender-fill-rate")) == (
        "0",
        "0",
        "—",
    )
    assert _figure(html, "turnaround") == "2 / 2"
    assert _figure(html, "net-lending") == "-6" and "a net borrower:" in html
    assert _figure(html, "titles") == "1"
    # and the year so far, month by month, with March's requests
    assert "The year so far" in html and "20 March 2026" in html
    months = html.split('data-testid="months"')[1].split("</table>")[0]
    assert months.count("<tr>") == 4  # the header, January, February, March
    # and the agreements it was party to on the day (the consortium's and its own)
    assert "Consortium ILL" in html and "Home and Away lending" in html
    # and every figure is defined beside it; no patron is named
    assert "supplied ÷ (supplied + not supplied)" in html and "90th percentile" in html
    for patron in year_of_sharing["patrons"]:
        assert patron.last_name not in html and patron.email not in html


def test_the_lenders_report_and_the_consortiums(year_of_sharing, other_librarian, consortium_admin, login):
    # when PK-AWAY's librarian opens its report
    html = _get(login(other_librarian), "/reports/annual/2026/PK-AWAY/").content.decode()
    # then it was asked 9 times (once still), lent 6, said no 2 (not on the shelf), a net lender
    assert (_figure(html, "asked"), _figure(html, "lent"), _figure(html, "lender-fill-rate")) == (
        "9",
        "6",
        "67%",
    )
    assert _figure(html, "net-lending") == "+6"
    assert 'data-reason="NotOnShelf"' in html
    assert "Home and Away lending" in html
    # and the consortium's report counts every member, with the balance member by member
    html = _get(login(consortium_admin), "/reports/annual/2026/").content.decode()
    assert "The consortium: annual report 2026" in html
    assert (_figure(html, "requested"), _figure(html, "supplied"), _figure(html, "holdings")) == (
        "9",
        "6",
        "4",
    )
    assert (_figure(html, "titles")) == "3"
    assert 'data-library="PK-AWAY"' in html and 'data-library="PK-HOME"' in html


def test_ratings_are_shown_only_from_5(year_of_sharing, librarian, login):
    # given 2 patrons invited to rate (the 2 requests not supplied), none answered
    html = _get(login(librarian), "/reports/annual/2026/PK-HOME/").content.decode()
    satisfaction = html.split('data-testid="satisfaction"')[1].split("</table>")[0]
    assert "fewer than 5 ratings: not shown" in satisfaction


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("anonymous", "/reports/annual/2026/", 302),
        ("anonymous", "/reports/annual/2026/PK-HOME/", 302),
        ("patron", "/reports/annual/2026/", 403),
        ("patron", "/reports/annual/2026/PK-HOME/", 403),
        ("librarian", "/reports/annual/2026/", 200),
        ("librarian", "/reports/annual/2026/PK-HOME/", 200),
        ("librarian", "/reports/annual/2026/PK-AWAY/", 403),
        ("library_admin", "/reports/annual/2026/PK-HOME/", 200),
        ("library_admin", "/reports/annual/2026/PK-AWAY/", 403),
        ("consortium_admin", "/reports/annual/2026/", 200),
        ("consortium_admin", "/reports/annual/2026/PK-AWAY/", 200),
    ],
)
def test_who_may_read_which_report(
    request,
    login,
    library,
    other_library,
    patron,
    librarian,
    library_admin,
    consortium_admin,
    who,
    url,
    status,
):
    client = Client() if who == "anonymous" else login(request.getfixturevalue(who))
    assert _get(client, url).status_code == status


def test_a_year_not_begun_or_before_any_request_is_explained(year_of_sharing, consortium_admin, login):
    client = login(consortium_admin)
    # a year in the future
    future = _get(client, "/reports/annual/2031/")
    assert future.status_code == 404
    assert "2031 has not begun yet" in future.content.decode() and "The latest report is for 2026" in (
        future.content.decode()
    )
    # a year before the first request
    before = _get(client, "/reports/annual/2019/PK-HOME/")
    assert before.status_code == 404
    assert (
        "no interlibrary loan figures before 2026, so there is no report for 2019" in before.content.decode()
    )
    # and the way back is on the page
    assert 'href="/reports/annual/2026/PK-HOME/"' in before.content.decode()


def test_an_unknown_library_code_is_not_found(consortium_admin, login):
    response = _get(login(consortium_admin), "/reports/annual/2026/PK-NOWHERE/")
    assert response.status_code == 404


def test_a_library_that_left_still_has_its_report(consortium_admin, login):
    LibraryFactory(code="PK-GONE", name="Gone College", is_active=False)
    response = _get(login(consortium_admin), "/reports/annual/2026/PK-GONE/")
    assert response.status_code == 200 and _figure(response.content.decode(), "requested") == "0"


def test_the_report_prints_on_a4_without_the_portals_frame(year_of_sharing, librarian, login):
    html = _get(login(librarian), "/reports/annual/2026/PK-HOME/").content.decode()
    # the print stylesheet is linked, a print button (static JS, no inline script) offered
    assert re.search(r'<link rel="stylesheet" href="/static/css/annual_report[^"]*\.css">', html)
    assert 'data-print data-testid="print"' in html and "onclick" not in html
    css = Path(finders.find("css/annual_report.css")).read_text()
    assert "size: A4" in css and ".navbar, .footer-ish" in css and "break-before: page" in css
    assert "thead { display: table-header-group; }" in css


def test_the_desk_links_to_the_librarys_report_and_the_admins_to_the_consortiums(
    librarian, consortium_admin, login
):
    with time_machine.travel(TODAY, tick=False):
        desk = login(librarian).get("/desk/").content.decode()
        admin_desk = login(consortium_admin).get("/desk/").content.decode()
        ill_report = login(consortium_admin).get("/ill/reports/").content.decode()
    assert 'href="/reports/annual/2026/PK-HOME/" data-testid="tool-annual-report"' in desk
    assert 'href="/reports/annual/2026/" data-testid="tool-consortium-annual-report"' in admin_desk
    assert 'href="/reports/annual/2026/" data-testid="annual-report-link"' in ill_report


def test_the_report_is_in_urdu_for_an_urdu_reader(year_of_sharing, librarian, login):
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    html = _get(client, "/reports/annual/2026/PK-HOME/").content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    assert "سالانہ رپورٹ" in html and "annual report" not in html
