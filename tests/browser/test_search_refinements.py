"""Refining a search again and again (issue #16): each facet on or off, the sort, a page and
"Clear all filters" applies at once through htmx and updates the URL, as many times in a row as
the visitor likes; the back button brings back the results and the form's controls as they
were. In English and in Urdu, on a desktop and on a 412 px phone, where the Filters panel
stays open while the visitor refines and the results stay one tap away (issue #14)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.catalogue.factories_search import make_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 412, "height": 915}


@pytest.fixture
def histories(library, other_library):
    """48 histories, one a year from 1950: 36 held at the home library (every one but each
    fourth), 32 books (every one but each third, e-books), 24 both, newest 1997."""
    for n in range(48):
        make_record(title=f"History of the Punjab, part {n + 1}", year=1950 + n,
                    format="ebook" if n % 3 == 0 else "book",
                    libraries=[other_library if n % 4 == 0 else library])  # fmt: skip


@dataclass(frozen=True)
class State:
    """What the page shows after a refinement: its URL's parameters, the count ("start–end of
    total"), whether the home library's and the book format's boxes are ticked, the sort, and
    (when it tells) the year of the first hit."""

    params: dict
    total: int
    shown: tuple[int, int]
    home: bool
    book: bool
    sort: str
    first_year: int | None = None


def expect_state(page: Page, state: State, *, phone: bool) -> None:
    """The page shows this state: the count, the hits, the URL, and every control to match."""
    # htmx pushes the URL just before it swaps the results in, in the same task
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == state.params)
    start, end = state.shown
    # "1–20 of 36 records", "36 ریکارڈ میں سے 1–20": both numbers, in either language's order
    count = re.compile(rf"(?=.*\b{start}–{end}\b)(?=.*\b{state.total}\b)", re.DOTALL)
    expect(page.get_by_test_id("result-count")).to_have_text(count)
    expect(page.get_by_test_id("hit")).to_have_count(end - start + 1)
    home_box = page.locator("#search-filters input[name=library][value=PK-HOME]")
    book_box = page.locator("#search-filters input[name=format][value=book]")
    if state.home:
        expect(home_box).to_be_checked()
    else:
        expect(home_box).not_to_be_checked()
    if state.book:
        expect(book_box).to_be_checked()
    else:
        expect(book_box).not_to_be_checked()
    expect(page.locator("#search-sort")).to_have_value(state.sort)
    expect(page.locator("#search-q")).to_have_value("history")
    if state.first_year:
        expect(page.get_by_test_id("hit").first).to_contain_text(str(state.first_year))
    if phone:
        # the Filters panel is still open, as the visitor left it
        expect(page.locator("#search-filters")).to_be_visible()
        expect(page.get_by_test_id("filters-toggle")).to_have_attribute("aria-expanded", "true")


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "ur"])
def test_six_refinements_in_a_row_then_back_twice(page, live_server, histories, language, width, screenshot):
    phone = width == "phone"
    page.set_viewport_size(PHONE if phone else DESKTOP)
    page.context.set_extra_http_headers({"Accept-Language": language})
    requests = []
    page.on("request", lambda request: requests.append(request) if "/search/" in request.url else None)
    # given the results of a search, in the visitor's language
    page.goto("/search/?q=history")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(r"\b48\b"))
    if phone:
        # with the facets folded behind the Filters button, which the visitor opens
        expect(page.locator("#search-filters")).to_be_hidden()
        page.get_by_test_id("filters-toggle").click()
        expect(page.locator("#search-filters")).to_be_visible()
    facets = page.locator("#search-filters")
    q = {"q": ["history"]}

    # 1. a library on: 36 of the 48
    facets.locator("input[name=library][value=PK-HOME]").click()
    state_1 = State(params={**q, "library": ["PK-HOME"], "sort": ["relevance"]}, total=36, shown=(1, 20),
                   home=True, book=False, sort="relevance")  # fmt: skip
    expect_state(page, state_1, phone=phone)
    # with the focus still on the box just ticked (the next Space acts on it)
    expect(facets.locator("input[name=library][value=PK-HOME]")).to_be_focused()
    # 2. a format on: the books among them
    facets.locator("input[name=format][value=book]").click()
    state_2 = State(params={**q, "library": ["PK-HOME"], "format": ["book"], "sort": ["relevance"]}, total=24,
                   shown=(1, 20), home=True, book=True, sort="relevance")  # fmt: skip
    expect_state(page, state_2, phone=phone)
    # 3. newest first
    page.locator("#search-sort").select_option("year")
    state_3 = State(params={**q, "library": ["PK-HOME"], "format": ["book"], "sort": ["year"]}, total=24,
                   shown=(1, 20), home=True, book=True, sort="year", first_year=1997)  # fmt: skip
    expect_state(page, state_3, phone=phone)
    # 4. the second page
    page.locator(".pagination a[href*='page=2']").first.click()
    state_4 = State(params={**q, "library": ["PK-HOME"], "format": ["book"], "sort": ["year"], "page": ["2"]},
                   total=24, shown=(21, 24), home=True, book=True, sort="year")  # fmt: skip
    expect_state(page, state_4, phone=phone)
    screenshot("page-2")
    # 5. the library off again: every book, from the first page
    facets.locator("input[name=library][value=PK-HOME]").click()
    state_5 = State(params={**q, "format": ["book"], "sort": ["year"]}, total=32, shown=(1, 20), home=False,
                   book=True, sort="year", first_year=1997)  # fmt: skip
    expect_state(page, state_5, phone=phone)
    # 6. every filter cleared (the sort kept)
    page.get_by_test_id("clear-filters").click()
    state_6 = State(params={**q, "sort": ["year"]}, total=48, shown=(1, 20), home=False, book=False, sort="year",
                   first_year=1997)  # fmt: skip
    expect_state(page, state_6, phone=phone)
    expect(page.get_by_test_id("active-filters")).to_have_count(0)
    # each refinement was one request, through htmx (no full page load)
    assert [r.headers.get("hx-request") for r in requests[1:]] == ["true"] * 6

    # when the visitor goes back, the previous state returns: results, URL and controls
    page.go_back()
    expect_state(page, state_5, phone=phone)
    # and back again
    page.go_back()
    expect_state(page, state_4, phone=phone)
    screenshot("back-twice")
    # and the restored page refines as the first did
    facets.locator("input[name=format][value=book]").click()
    state_7 = State(params={**q, "library": ["PK-HOME"], "sort": ["year"]}, total=36, shown=(1, 20), home=True,
                    book=False, sort="year", first_year=1997)  # fmt: skip
    expect_state(page, state_7, phone=phone)
    if phone:
        # on the phone, with the panel still open, the results are one tap away
        page.get_by_test_id("show-results").click()
        # (the page scrolls smoothly: wait until the first result has arrived on screen)
        expect(page.get_by_test_id("hit").first).to_be_in_viewport(ratio=1)
        first = page.get_by_test_id("hit").first.bounding_box()
        assert first["y"] >= 0 and first["y"] + first["height"] <= PHONE["height"], first
        # and the Filters button folds the panel it kept open
        page.get_by_test_id("filters-toggle").click()
        expect(page.locator("#search-filters")).to_be_hidden()
        expect(page.get_by_test_id("filters-toggle")).to_have_attribute("aria-expanded", "false")


def test_active_filters_show_above_the_results_and_each_comes_off(page, live_server, histories):
    # given a search with a library and a format chosen
    page.goto("/search/?q=history&library=PK-HOME&format=book&sort=year")
    chips = page.get_by_test_id("remove-filter")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text("Home University")
    # when the visitor takes the library off with its chip
    chips.filter(has_text="Home University").click()
    # then only the format remains, with all its books
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(r"\b32\b"))
    assert parse_qs(urlsplit(page.url).query) == {"q": ["history"], "format": ["book"], "sort": ["year"]}
    expect(chips).to_have_count(1)
    expect(page.locator("#search-filters input[name=library][value=PK-HOME]")).not_to_be_checked()


@pytest.mark.parametrize("language", ["en", "ur"])
def test_without_javascript_a_phone_refines_with_apply_filters_and_plain_links(
    chromium, live_server, histories, language
):
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False,
                                   extra_http_headers={"Accept-Language": language})  # fmt: skip
    page = context.new_page()
    try:
        # given the results on a phone whose browser runs no script
        page.goto("/search/?q=history")
        # then the facets show (no Filters button that could not open them)
        expect(page.get_by_test_id("filters-toggle")).to_be_hidden()
        expect(page.locator("#search-filters input[name=library][value=PK-HOME]")).to_be_visible()
        expect(page.get_by_test_id("show-results")).to_be_hidden()
        # when the visitor ticks a library, picks a sort and applies
        page.locator("#search-filters input[name=library][value=PK-HOME]").check()
        page.locator("#search-sort").select_option("year")
        page.locator("#search-filters button[type=submit]").click()
        # then the page reloads with both, bookmarkable
        expect_state(page, State(params={"q": ["history"], "library": ["PK-HOME"], "sort": ["year"]}, total=36,
                                 shown=(1, 20), home=True, book=False, sort="year", first_year=1997), phone=False)  # fmt: skip
        # and the library's chip, a plain link, takes it off again
        page.get_by_test_id("remove-filter").click()
        expect_state(page, State(params={"q": ["history"], "sort": ["year"]}, total=48, shown=(1, 20), home=False,
                                 book=False, sort="year", first_year=1997), phone=False)  # fmt: skip
    finally:
        context.close()


def test_switching_language_after_refining_keeps_the_refined_search(page, live_server, histories):
    # given a search refined through htmx (the URL changed without a page load)
    page.goto("/search/?q=history")
    page.locator("#search-filters input[name=library][value=PK-HOME]").click()
    page.locator("#search-sort").select_option("year")
    state = State(params={"q": ["history"], "library": ["PK-HOME"], "sort": ["year"]}, total=36, shown=(1, 20),
                  home=True, book=False, sort="year", first_year=1997)  # fmt: skip
    expect_state(page, state, phone=False)
    # when the visitor switches to Urdu
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    # then the same refined search comes back, in Urdu
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect_state(page, state, phone=False)


def test_a_refused_query_says_why_in_place_of_the_results_and_the_next_one_works(
    page, live_server, histories
):
    # given the results of a search
    page.goto("/search/?q=history")
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(r"\b48\b"))
    # when the visitor searches for excluded words only (which the server refuses, 400)
    page.locator("#search-q").fill("-history")
    page.locator("#search-q").press("Enter")
    # then the reason shows where the results were, and the URL is the refused search's
    expect(page.get_by_test_id("search-error")).to_be_visible()
    expect(page.get_by_test_id("hit")).to_have_count(0)
    assert parse_qs(urlsplit(page.url).query)["q"] == ["-history"]
    # and the next search works as usual
    page.locator("#search-q").fill("history")
    page.locator("#search-q").press("Enter")
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(r"\b48\b"))
    expect(page.get_by_test_id("search-error")).to_have_count(0)
