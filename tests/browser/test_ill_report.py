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
    table = page.get_by_test_id("report")
    borrowed = table.locator('tr[data-library="PK-LHR"] td').all_inner_texts()
    lent = table.locator('tr[data-library="PK-KHI"] td').all_inner_texts()
    assert borrowed[:3] == ["1", "1", "100%"]  # requested, supplied, fill rate
    assert lent[4:6] == ["1", "1"] and lent[8] == "1"  # asked, lent; on loan now
    assert "1 / 0" in page.get_by_test_id("totals").inner_text()
    assert "Siddiqui" not in page.content()
    screenshot("report")
