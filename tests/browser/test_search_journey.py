"""A patron finds a book in the union catalogue and asks for it: home page → results →
facet (htmx, bookmarkable URL) → record page with holdings → request after logging in."""

from __future__ import annotations

import pytest

from tests.catalogue.factories_search import make_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patron_searches_filters_and_requests(page, live_server, library, other_library, patron, password,
                                              screenshot):  # fmt: skip
    # given two editions held in different provinces, and an Urdu title
    near = make_record(title="Tarikh-i Pakistan", authors=["Qureshi, Ishtiaq Husain"], year=1998,
                       libraries=[other_library])  # fmt: skip
    make_record(title="Tarikh-i Pakistan", edition="2nd ed.", year=2005, libraries=[library])
    urdu = make_record(title="Urdu adab ki tarikh", title_vernacular="اردو ادب كي تاريخ", libraries=[library])
    # when a visitor searches from the home page
    page.goto("/")
    page.get_by_placeholder("Title, author, subject or ISBN").fill("tarikh pakistan")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("#results a[href^='/records/']").count() == 2
    # and ticks the Sindh facet (htmx updates the results and the URL)
    page.get_by_label("Sindh").first.check()
    page.wait_for_url("**province=*")
    page.wait_for_function("document.querySelectorAll('#results a[href^=\"/records/\"]').length === 1")
    screenshot("filtered")
    bookmark = page.url
    # then the bookmarked URL shows the same filtered results without JavaScript state
    page.goto(bookmark)
    assert page.locator("#results a[href^='/records/']").count() == 1
    # when they open the record
    page.locator(f"a[href='/records/{near.pk}/']").first.click()
    page.wait_for_load_state()
    assert other_library.name in page.content()
    screenshot("record")
    # and ask for it: first the login, then the request form
    page.get_by_role("link", name="Request this item").click()
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("Username or email").fill(patron.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**record={near.pk}*")
    # and an Urdu query in Urdu letters finds the record catalogued with Arabic letters
    page.goto("/search/?q=" + "اردو ادب کی تاریخ")
    assert page.locator(f"a[href='/records/{urdu.pk}/']").count() >= 1
    assert page.locator("[lang='ur']").count() >= 1
