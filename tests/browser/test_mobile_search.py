"""The search results page on a 412 x 915 phone, in English and in Urdu (issue #14): the first
result shows without scrolling, the facets wait behind a Filters button, and every link,
button and field is a tap target at least 44 px high."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.tap_targets import MIN_TARGET, SMALL_TARGETS
from tests.catalogue.factories_search import make_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 412, "height": 915}


@pytest.fixture
def catalogue(library, other_library):
    """More results than a page holds, in two provinces and two scripts, of several formats,
    languages, decades and subjects, so that there are facets as long as a real catalogue's,
    pagination and Urdu text on the page."""
    formats = ["book", "ebook", "thesis", "serial", "manuscript", "microform"]
    languages = ["eng", "urd", "ara", "per", "snd", "pan"]
    for n in range(22):
        make_record(title=f"Tarikh-i Pakistan, volume {n + 1}", authors=["Qureshi, Ishtiaq Husain"],
                    year=1940 + 4 * n, format=formats[n % 6], language=languages[n % 5],
                    subjects=[f"Pakistan -- History -- Period {n % 8}"],
                    libraries=[library if n % 2 else other_library])  # fmt: skip
    make_record(title="Urdu adab ki tarikh", title_vernacular="اردو ادب کی تاریخ", libraries=[library])


@pytest.mark.parametrize("language", ["en", "ur"])
def test_phone_sees_the_first_result_and_finds_the_filters(
    page, live_server, catalogue, language, screenshot
):
    # given a phone whose browser asks for English, or for Urdu
    page.set_viewport_size(PHONE)
    page.context.set_extra_http_headers({"Accept-Language": language})
    # when it opens a search results page
    page.goto("/search/?q=tarikh")
    assert page.locator("html").get_attribute("lang") == language
    screenshot(f"{language}-results")
    # then the first result is on the first screen, without scrolling
    first = page.locator("[data-testid=hit] h2 a").first.bounding_box()
    assert first["y"] >= 0 and first["y"] + first["height"] <= PHONE["height"], first
    # and the facets are folded away, behind a Filters button
    facets = page.locator("#search-filters")
    assert not facets.is_visible()
    # and every link, button and field on the page (pagination and footer included) is a
    # tap target of at least 44 px
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    # when the visitor taps Filters
    page.get_by_test_id("filters-toggle").click()
    # then the facets open, and their checkboxes are as easy to tap
    facets.locator(".facet-input").first.wait_for(state="visible")
    assert page.get_by_test_id("filters-toggle").get_attribute("aria-expanded") == "true"
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
    screenshot(f"{language}-filters")
    # and a facet still narrows the results (htmx), the first result again in view
    facets.locator(".facet-input").first.check()
    page.wait_for_url("**/search/?*&*")
    page.locator("[data-testid=hit]").first.wait_for()
    # when the visitor opens the navigation menu, its links and buttons are as large
    page.locator(".navbar-toggler").click()
    expect(page.locator("#nav")).to_have_class(re.compile(r"(^| )show( |$)"))
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []


def test_english_page_without_urdu_text_downloads_no_font_and_nothing_missing(page, live_server, library):
    # given a catalogue with Latin-script records only
    make_record(title="Tarikh-i Pakistan", authors=["Qureshi, Ishtiaq Husain"], libraries=[library])
    requests, failures = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)
    # when an English visitor opens a results page (with "اشتراک" and "اردو" in its frame)
    page.set_viewport_size(PHONE)
    page.goto("/search/?q=tarikh", wait_until="networkidle")
    page.locator(".navbar-toggler").click()
    expect(page.get_by_test_id("lang-switch")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # then no web font is downloaded: the frame's Urdu words use the system's fonts
    assert [url for url in requests if url.endswith((".woff2", ".woff", ".ttf"))] == []
    # and every request succeeds, the favicon included
    assert failures == []
    assert any("favicon" in url for url in requests)
