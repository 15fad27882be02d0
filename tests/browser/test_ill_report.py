"""Browser: a consortium admin finds the ILL report in the navigation and reads it."""

from __future__ import annotations

import pytest

from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.factories import ConsortiumAdminFactory, LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consortium_admin_reads_the_ill_report(page, log_in, screenshot):
    # given one loan from PK-LHR to PK-KHI that was shipped
    borrower = LibraryFactory(code="PK-LHR", name="Lahore University", city="Lahore", province="PB")
    lender = LibraryFactory(code="PK-KHI", name="Karachi University", city="Karachi", province="SD")
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, services_allowed=["loan", "copy"])
    patron = PatronFactory(library=borrower, last_name="Siddiqui")
    staff, lender_staff = LibrarianFactory(library=borrower), LibrarianFactory(library=lender)
    req = ill_request_create(actor=patron, bib_record_id=held_by(lender).pk)
    ill_request_transition(request_id=req.pk, action="validate", actor=staff)
    route(request_id=req.pk)
    for action in ("will_supply", "ship"):
        ill_request_transition(request_id=req.pk, action=action, actor=lender_staff)
    ConsortiumAdminFactory(username="reporter")
    # when the admin logs in and follows the navigation
    log_in("reporter")
    page.get_by_role("link", name="ILL report").click()
    page.wait_for_load_state()
    # then both libraries' rows and the consortium's figures are there, without the patron
    borrowed = page.get_by_test_id("report").locator('tr[data-library="PK-LHR"] td').all_inner_texts()
    lent = page.get_by_test_id("report-lending").locator('tr[data-library="PK-KHI"] td').all_inner_texts()
    # requested, supplied, not supplied, in progress, ended before a lender, fill rate
    assert [t.strip() for t in borrowed[:6]] == ["1", "1", "0", "0", "0", "100%"]
    assert lent[:2] == ["1", "1"] and lent[8] == "1"  # asked, lent; on loan now
    # and the fill rate says what it is a share of, and each figure is defined under its table
    assert "1 supplied of 1 that reached a lender and ended" in page.get_by_test_id("totals").inner_text()
    assert "supplied ÷ (supplied + not supplied)" in page.get_by_test_id("borrowing-definitions").inner_text()
    assert "lent ÷ asked to lend" in page.get_by_test_id("lending-definitions").inner_text()
    assert "1 / 0" in page.get_by_test_id("totals").inner_text()
    assert "Siddiqui" not in page.content()
    screenshot("report")
