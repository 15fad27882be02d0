"""Journeys a person takes in a real Chromium: log in by role, approve, tokens, Urdu, keyboard."""

from __future__ import annotations

import re

import pytest

from members.models import PatronStatus, User
from tests.factories import (
    TEST_PASSWORD,
    ConsortiumAdminFactory,
    LibrarianFactory,
    LibraryAdminFactory,
    LibraryFactory,
    PatronFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db):
    home = LibraryFactory(code="PK-LUMS", name="Lahore University of Management Sciences", name_ur="لمز")
    return {
        "patron": PatronFactory(username="sana", first_name="Sana", library=home),
        "librarian": LibrarianFactory(username="bilal", first_name="Bilal", library=home),
        "library_admin": LibraryAdminFactory(username="ayesha", first_name="Ayesha", library=home),
        "consortium_admin": ConsortiumAdminFactory(username="admin", first_name="Zainab"),
        "pending": PatronFactory(
            username="hamza",
            first_name="Hamza",
            last_name="Khan",
            library=home,
            patron_status=PatronStatus.PENDING,
        ),
    }


def _nav(page) -> list[str]:
    return [t.strip() for t in page.locator("#nav .navbar-nav").first.locator("a.nav-link").all_inner_texts()]


@pytest.mark.parametrize(
    ("role", "sees", "does_not_see"),
    [
        ("patron", [], ["My library", "Members", "Administration"]),
        ("librarian", ["My library"], ["Members", "Administration"]),
        ("library_admin", ["My library"], ["Members", "Administration"]),
        ("consortium_admin", ["Members", "Administration"], ["My library"]),
    ],
)
def test_each_role_logs_in_and_sees_its_navigation(page, people, log_in, shot, role, sees, does_not_see):
    user = people[role]
    log_in(page, user.username, TEST_PASSWORD)
    whoami = page.get_by_test_id("whoami").inner_text()
    assert user.first_name in whoami
    nav = _nav(page)
    assert "Libraries" in nav
    assert all(item in nav for item in sees), nav
    assert not any(item in nav for item in does_not_see), nav
    shot(page, f"login-{role}")


def test_library_admin_approves_a_pending_patron(page, people, log_in, shot):
    log_in(page, "ayesha", TEST_PASSWORD)
    page.get_by_role("link", name="My library").click()
    row = page.locator("tr", has_text="Hamza Khan")
    row.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "Registration approved." in page.locator("main").inner_text()
    assert page.locator("tr", has_text="Hamza Khan").count() == 0
    assert User.objects.get(username="hamza").patron_status == PatronStatus.APPROVED
    shot(page, "library-admin-approved-patron")


def test_library_admin_creates_a_token_and_sees_it_once(page, people, log_in, shot):
    log_in(page, "ayesha", TEST_PASSWORD)
    page.goto(page.base + "/my-library/")
    page.get_by_label("What will use this token?").fill("Koha OPAC")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    key = page.get_by_test_id("new-token").locator("code").inner_text().strip()
    assert re.fullmatch(r"ish_[A-Za-z0-9_-]{40,}", key)
    shot(page, "library-admin-new-token")
    page.reload()
    assert page.get_by_test_id("new-token").count() == 0
    assert key not in page.content()
    assert "Koha OPAC" in page.locator("main").inner_text()


def test_switching_to_urdu_turns_the_page_right_to_left(page, people, shot):
    page.goto(page.base + "/")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    html = page.locator("html")
    assert html.get_attribute("lang") == "ur"
    assert html.get_attribute("dir") == "rtl"
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")
    assert any("bootstrap.rtl.min.css" in href for href in stylesheets)
    nav = _nav(page)
    assert "Libraries" not in nav and "کتب خانے" in nav, nav
    # no sideways scrolling in RTL (an off-screen skip link once widened the page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    shot(page, "home-urdu")
    # and back to English
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_skip_link_is_the_first_tab_stop(page, people):
    page.goto(page.base + "/libraries/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["skip-link", "#main"]
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_login_form_works_from_the_keyboard_alone(page, people):
    page.goto(page.base + "/accounts/login/")
    page.keyboard.type("sana")  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Sana" in page.get_by_test_id("whoami").inner_text()
