"""The public state of sharing (/state-of-sharing/): this year's figures for anyone, small
counts held back, no patron anywhere, cached, in English and Urdu."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import brotli
import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evidence.suppression import Figure, count, derived, hold_back
from tests.catalogue.factories_search import make_record
from tests.consortium.test_accessibility import _parse
from tests.evidence.conftest import START, TODAY, place
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

URL = "/state-of-sharing/"
PAGE_BUDGET_KB = 40  # benchmarks/page_weight.py BUDGET["first_without_font"]


def _get(client: Client | None = None, **headers):
    with time_machine.travel(TODAY, tick=False):
        return (client or Client()).get(URL, **headers)


def _figure(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</dd>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _row(html: str, province: str) -> list[str]:
    row = re.search(rf'<tr data-province="{province}">(.*?)</tr>', html, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]


# ---------------------------------------------------------------------------------------
# the figures


def test_a_visitor_sees_the_years_figures_without_logging_in(year_of_sharing):
    # given a year with 9 requests from PK-HOME: 6 supplied (received in 2 working days),
    # 2 not supplied, 1 open; 3 titles held 4 times; 3 members in 3 provinces
    # when a visitor, not logged in, opens the page
    response = _get()
    html = response.content.decode()
    # then it answers, with the year's figures
    assert response.status_code == 200
    assert "The state of sharing, 2026" in html
    assert _figure(html, "members") == "3"
    assert (_figure(html, "titles"), _figure(html, "holdings")) == ("3", "4")
    assert (_figure(html, "requested"), _figure(html, "supplied")) == ("9", "6")
    assert _figure(html, "fill-rate") == "75%"  # 6 of the 8 that reached a lender and ended
    assert _figure(html, "turnaround") == "2"
    # and the members by province, each province's requests where they count
    assert _row(html, "PB") == ["Punjab", "1", "1", "9", "6"]
    assert _row(html, "SD") == ["Sindh", "1", "3", "fewer than 5", "fewer than 5"]
    assert _row(html, "KP") == ["Khyber Pakhtunkhwa", "1", "0", "fewer than 5", "fewer than 5"]
    assert _row(html, "BA") == ["Balochistan", "0", "0", "—", "—"]  # no library there, ever
    # and the policy in force (linked to its public page) and the agreements in force
    assert 'href="/policies/ill-code/"' in html and "Interlibrary loan code" in html
    assert "Consortium ILL" in html and "Between every member library." in html
    assert "Between Away University, Home University." in html
    # and when they were counted
    assert "Figures counted at 20 March 2026, 12:00" in html


def test_small_counts_and_what_is_worked_out_from_them_are_held_back(
    library, other_library, librarian, other_librarian, agreement
):
    # given a year of only 3 requests, 2 of them supplied and received, 1 not supplied
    patron = PatronFactory(library=library)
    record = make_record(title="Tarikh", libraries=[other_library])
    for ending in ("received", "received", "unfilled"):
        place(
            patron=patron, librarian=librarian, lender_librarian=other_librarian, record=record, ending=ending
        )
    # when a visitor opens the page
    html = _get().content.decode()
    # then neither the counts nor the rate, the median or the rating worked out from them show
    assert _figure(html, "requested") == "fewer than 5"
    assert _figure(html, "supplied") == "fewer than 5"
    assert _figure(html, "fill-rate") == "too few to show"
    assert _figure(html, "turnaround") == "too few to show"
    assert _figure(html, "rating") == "too few to show"  # 1 patron invited to rate
    assert "67%" not in html and ">3<" not in html.split('data-testid="provinces"')[1].split("</table>")[0]


def test_no_patron_is_named_anywhere_on_the_page(year_of_sharing):
    html = _get().content.decode()
    for patron in year_of_sharing["patrons"]:
        for secret in (
            patron.first_name,
            patron.last_name,
            patron.email,
            patron.card_number,
            patron.username,
        ):
            assert secret not in html


def test_the_page_is_in_urdu_for_an_urdu_reader(year_of_sharing):
    response = _get(HTTP_ACCEPT_LANGUAGE="ur")
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="ur" dir="rtl">' in html
    assert "اشتراک کی صورتِ حال" in html  # the title
    assert "پنجاب" in html and "5 سے کم" in html  # a province; "fewer than 5"
    assert "The state of sharing" not in html and "fewer than 5" not in html


# ---------------------------------------------------------------------------------------
# caching


def test_figures_are_counted_once_in_15_minutes_and_the_browser_may_keep_the_page(
    year_of_sharing, library, other_library, librarian, other_librarian
):
    # given the page opened once
    first = _get()
    assert _figure(first.content.decode(), "requested") == "9"
    # when another request is placed and the page is opened again within 15 minutes
    patron = year_of_sharing["patrons"][0]
    record = make_record(title="Tarikh again", libraries=[other_library])
    place(
        patron=patron,
        librarian=librarian,
        lender_librarian=other_librarian,
        record=record,
        ending="open",
        at=TODAY,
    )
    with CaptureQueriesContext(connection) as queries:
        second = _get()
    # then the figures are those counted before, without reading the figures again
    assert _figure(second.content.decode(), "requested") == "9"
    assert not [q for q in queries.captured_queries if "ill_dayfigures" in q["sql"]]
    # and 15 minutes later they are counted again
    with time_machine.travel(TODAY.replace(minute=16), tick=False):
        third = Client().get(URL)
    assert _figure(third.content.decode(), "requested") == "10"
    # and a visitor's browser may keep the page for 5 minutes, for itself only, per language
    assert "private" in first["Cache-Control"] and "max-age=300" in first["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first["Vary"].split(",")}
    assert first["Last-Modified"]


def test_a_logged_in_reader_gets_a_page_not_kept_by_the_browser(year_of_sharing, librarian, login):
    response = _get(login(librarian))
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]


def test_every_page_links_to_it_in_the_footer(db):
    html = Client().get("/").content.decode()
    assert f'href="{URL}" data-testid="footer-state-of-sharing"' in html


# ---------------------------------------------------------------------------------------
# suppression, unit by unit


def test_a_count_under_5_is_held_back_and_one_of_5_is_shown():
    assert count(4) == Figure(value=None, hidden=True) and count(0).hidden
    assert count(5) == Figure(value=5)


def test_a_derived_figure_is_held_back_when_any_of_its_bases_is_under_5():
    assert derived(75, 8, 6).shown and derived(75, 8, 6).value == 75
    assert derived(50, 8, 4).hidden and derived(None, 2).hidden


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ([9, 0, 0], [True, False, False]),  # the hidden rows hold 0: nothing to give away
        ([9, 3, 0], [False, False, False]),  # total 12 - 9 would tell the 3
        ([20, 9, 3, 0], [True, False, False, False]),  # 3 + 9 = 12 hidden: enough
        ([6, 7, 8], [True, True, True]),
    ],
)
def test_rows_are_held_back_until_their_total_gives_nothing_small_away(counts, shown):
    assert [f.shown for f in hold_back(counts)] == shown


def test_the_figures_are_read_in_a_few_statements(year_of_sharing, django_assert_max_num_queries):
    from evidence.state_of_sharing import count_state_of_sharing

    with time_machine.travel(TODAY, tick=False):
        count_state_of_sharing()  # the day figures counted
        # the recount of what changed (7, savepoints included), the figures (2), the members,
        # the catalogue's kept counts (3), policies (2) and agreements (2): none per row
        with django_assert_max_num_queries(17):
            sharing = count_state_of_sharing()
    assert sharing.start == START.date().replace(month=1, day=1)


# ---------------------------------------------------------------------------------------
# weight: the search page's budget (tests/consortium/test_accessibility.py, issue #14)


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_page_is_as_light_as_the_search_page_on_mobile_data(year_of_sharing, language):
    """A first visit's HTML, CSS and JS as production sends them (the page gzipped by Django,
    static files in whitenoise's Brotli copies) within the search page's 40 KB for all but
    the Urdu font (benchmarks/page_weight.py, which measures both pages in a browser)."""
    response = _get(HTTP_ACCEPT_LANGUAGE=language)
    html = response.content
    sent = {"HTML": len(gzip.compress(html, 9))}
    uncompressed = len(html)
    for href in _parse(html.decode()).assets:
        path = finders.find(href.removeprefix("/static/"))
        assert path, f"{href} is not served from static/"
        body = Path(path).read_bytes()
        sent[href], uncompressed = len(brotli.compress(body)), uncompressed + len(body)
    transferred = sum(sent.values())
    sys.stdout.write(
        f"\nstate of sharing ({language}): {transferred / 1024:.1f} KB transferred, of which the page "
        f"{sent['HTML'] / 1024:.1f} KB; {uncompressed / 1024:.1f} KB uncompressed\n"
    )
    assert transferred < PAGE_BUDGET_KB * 1024
    assert sent["HTML"] < 8 * 1024  # the page's own share: a fifth of the budget
    # and nothing comes from elsewhere (no map tiles, no CDN), and no script of its own
    assert all(asset.startswith("/static/") for asset in _parse(html.decode()).assets)
    assert "<script>" not in html.decode()
