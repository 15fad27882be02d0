"""A lender's librarian prints pull slips from the lending queue, in English and in Urdu: the
slips open from a plain address (no CSRF token), sorted by location then call number, and
each copy's barcode, as the browser draws it, scans as the item id; the receipt layout fits
an 80 mm roll."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.factories import LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHELVES = [
    ("Stacks, 2nd floor", "PN1993.5.U6 F347 2020", "39001004567891"),
    ("Reference room", "Z675.U5 A35 1999", "39001000000017"),
]


@pytest.fixture
def asked():
    borrower = LibraryFactory(code="PK-LHR", name="Lahore University", name_ur="جامعہ لاہور")
    lender = LibraryFactory(code="PK-KHI", name="Karachi University", city="Karachi", province="SD")
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, services_allowed=["loan", "copy"])
    patron, staff = PatronFactory(library=borrower), LibrarianFactory(library=borrower)
    LibrarianFactory(username="lender-staff", library=lender)
    for location, call_number, barcode in SHELVES:
        record = held_by(lender, location=location, call_number=call_number, barcode=barcode)
        req = ill_request_create(actor=patron, bib_record_id=record.pk)
        ill_request_transition(request_id=req.pk, action="validate", actor=staff)
        route(request_id=req.pk)


@pytest.mark.parametrize("language", ["en", "ur"])
def test_pull_slips_print_from_the_queue_and_their_barcodes_scan(page, live_server, log_in, asked, language):
    log_in("lender-staff")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto("/ill/lending/")
    # when the librarian ticks the requests and asks for A4 pull slips
    for box in page.locator('input[name="ids"]').all():
        box.check()
    with page.context.expect_page() as opened:
        page.get_by_test_id("pull-slips-a4").click()
    slips = opened.value
    slips.wait_for_load_state("networkidle")
    # then they open at an address that carries no CSRF token
    assert "csrf" not in slips.url.lower() and "layout=a4" in slips.url
    # sorted for one walk through the stacks: the reference room, then the stacks
    locations = slips.get_by_test_id("location").all_inner_texts()
    assert locations == ["Reference room", "Stacks, 2nd floor"]
    assert slips.get_by_test_id("call-number").all_inner_texts() == [
        "Z675.U5 A35 1999",
        "PN1993.5.U6 F347 2020",
    ]
    # and each barcode, as drawn on screen, scans as the copy's item id
    for n, svg in enumerate(slips.locator("svg.barcode").all()):
        image = Image.open(io.BytesIO(svg.screenshot()))
        assert [b.text for b in zxingcpp.read_barcodes(image)] == [SHELVES[::-1][n][2]]
    # and the receipt layout fits an 80 mm roll (72 mm printable, 96 px to the inch)
    slips.goto(slips.url.replace("layout=a4", "layout=receipt"))
    width = slips.evaluate("document.body.getBoundingClientRect().width")
    assert width <= 72 / 25.4 * 96 + 1
    image = Image.open(io.BytesIO(slips.locator("svg.barcode").first.screenshot()))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == ["39001000000017"]
    slips.close()
