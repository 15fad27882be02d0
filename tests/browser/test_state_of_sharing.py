"""The public state of sharing on a 412 px phone in Urdu and on a desktop in English:
nothing overlaps or runs off the screen, every link is easy to tap, no script is needed."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.browser.tap_targets import MIN_TARGET, SMALL_TARGETS
from tests.browser.test_page_geometry import SCROLL_AND_CHECK
from tests.evidence.conftest import agreement, year_of_sharing  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("year_of_sharing")
@pytest.mark.parametrize(("language", "width"), [("ur", 412), ("en", 1280)])
def test_the_page_reads_well_on_a_phone_in_urdu_and_a_desktop_in_english(
    page, live_server, screenshot, language, width
):
    cache.clear()
    # given a visitor's browser in Urdu on a phone, or in English on a desktop, scripts off
    page.set_viewport_size({"width": width, "height": 915})
    page.context.set_extra_http_headers({"Accept-Language": language})
    # when it opens the state of sharing from the footer of the home page
    page.goto("/")
    page.get_by_test_id("footer-state-of-sharing").click()
    page.wait_for_url("**/state-of-sharing/")
    screenshot(f"{language}-{width}")
    # then the page is in that language, its figures on it
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_test_id("requested").inner_text() == "9"
    # and nothing overlaps, runs off the screen or hides a control
    assert page.evaluate(SCROLL_AND_CHECK) == []
    # and on the phone every link is a tap target of at least 44 px
    if width == 412:
        assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == []
