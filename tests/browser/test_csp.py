"""Under the Content-Security-Policy the main pages load without a violation (the `page`
fixture fails the test on any), htmx still swaps, the print buttons still print and the
API docs still render."""

from __future__ import annotations

import pytest

from tests.catalogue.factories_search import make_record
from tests.policies.factories import PolicyVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# window.print stands in for the browser's dialog, counting the calls.
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


def _visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    page.wait_for_load_state("networkidle")


def test_public_pages_load_without_a_policy_violation(page, library, csp_violations):
    # given a record, a published policy and a member library
    record = make_record(title="Tarikh-i Pakistan", libraries=[library])
    policy = PolicyVersionFactory().policy
    page.add_init_script(COUNT_PRINTS)
    # when a visitor opens the public pages
    for path in (
        "/", "/search/?q=tarikh", f"/records/{record.pk}/", "/search/advanced/", "/libraries/",
        f"/libraries/{library.code}/", "/policies/", "/accounts/login/", "/register/",
    ):  # fmt: skip
        _visit(page, path)
    # and filters the directory as they type (an htmx request and swap)
    _visit(page, "/libraries/")
    with page.expect_response(lambda r: "/libraries/?" in r.url):
        page.locator("#dir-q").press_sequentially("Home")
    page.wait_for_load_state("networkidle")
    # and prints a policy with its button (static/js/portal.js, not an inline onclick)
    _visit(page, f"/policies/{policy.slug}/")
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.__prints") == 1
    # then no page broke the policy (the fixture checks again at teardown)
    assert csp_violations == []


def test_api_docs_render_under_the_policy(page, csp_violations):
    # when a developer opens the API docs (Swagger UI and its init script, both files)
    _visit(page, "/api/docs/")
    # then Swagger UI renders the schema: the title and the endpoints
    page.locator(".swagger-ui .info .title").filter(has_text="Ishtiraak API").wait_for()
    assert page.locator(".opblock").count() > 5
    assert csp_violations == []


def test_staff_pages_load_without_a_policy_violation(page, log_in, library_admin, csp_violations):
    page.add_init_script(COUNT_PRINTS)
    log_in(library_admin.username)
    for path in ("/my-library/", "/ill/lending/", "/ill/borrowing/", "/imports/new/", "/policies/"):
        _visit(page, path)
    _visit(page, "/ill/lending/pull-slips/")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__prints") == 1
    assert csp_violations == []


def test_consortium_admin_pages_load_without_a_policy_violation(
    page, log_in, consortium_admin, csp_violations
):
    log_in(consortium_admin.username)
    for path in (
        "/ill/reports/", "/manage/members/", "/manage/policies/", "/manage/agreements/matrix/",
        "/manage/holidays/", "/admin/", "/admin/members/library/", "/admin/members/library/add/",
    ):  # fmt: skip
        _visit(page, path)
    assert csp_violations == []
