"""Main journeys of the shell in a real browser: each role's navigation, Urdu, keyboard."""

from __future__ import annotations

import re

import pytest

from members.models import PatronStatus
from tests.factories import PatronFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _nav_links(page) -> list[str]:
    return [t.strip() for t in page.locator("nav .navbar-nav.me-auto a.nav-link").all_inner_texts()]


@pytest.mark.parametrize(
    ("fixture", "sees", "does_not_see"),
    [
        (
            "patron",
            ["Catalogue", "Libraries", "Policies", "My requests"],
            ["Borrowing", "Members", "Imports"],
        ),
        (
            "librarian",
            ["Catalogue", "Imports", "Borrowing", "Lending", "Agreements"],
            ["Members", "My requests"],
        ),
        ("library_admin", ["Borrowing", "Lending", "Imports"], ["Members"]),
        ("consortium_admin", ["Members", "Agreements", "Edit policies"], ["Borrowing", "My requests"]),
    ],
)
def test_each_role_logs_in_and_sees_its_own_navigation(
    request, page, log_in, screenshot, fixture, sees, does_not_see
):
    # given a person of this role
    user = request.getfixturevalue(fixture)
    # when they log in through the form
    log_in(user.username)
    # then the page names them and shows their links only
    assert page.get_by_test_id("whoami").inner_text().strip() == user.display_name
    links = _nav_links(page)
    assert set(sees) <= set(links), links
    assert not set(does_not_see) & set(links), links
    screenshot("home")


def test_wrong_password_is_refused_with_a_message(page, patron):
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(patron.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/accounts/login/")
    assert page.locator(".alert-danger, .errorlist").count() >= 1


def test_library_admin_approves_a_pending_patron(page, log_in, library, library_admin, screenshot):
    # given a patron waiting for approval
    pending = PatronFactory(library=library, patron_status=PatronStatus.PENDING, first_name="Hamza")
    log_in(library_admin.username)
    # when the library admin approves them on the library page
    page.goto("/my-library/")
    screenshot("pending")
    row = page.locator("tr", has_text=pending.email)
    row.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    # then the page says so and the patron is approved
    assert "Registration approved." in page.content()
    pending.refresh_from_db()
    assert pending.patron_status == PatronStatus.APPROVED


def test_api_token_is_shown_exactly_once(page, log_in, library_admin):
    log_in(library_admin.username)
    page.goto("/my-library/")
    page.get_by_label("What will use this token?").fill("Koha at the main library")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    key = page.get_by_test_id("new-token").locator("code").inner_text()
    assert key.startswith("ish_")
    page.reload()
    assert page.get_by_test_id("new-token").count() == 0
    assert key not in page.content()


def test_switching_to_urdu_turns_the_page_right_to_left(page, log_in, patron, screenshot):
    log_in(patron.username)
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl"
    assert html.get_attribute("lang") == "ur"
    assert page.locator("link[href*='bootstrap.rtl']").count() == 1
    assert "لائبریریاں" in " ".join(_nav_links(page))  # "Libraries" in Urdu
    screenshot("urdu")
    # and back
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_skip_link_is_the_first_tab_stop(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert re.sub(r"\s+", " ", focused).strip() == "Skip to content"
