"""Pull slips a page in the stacks can use: the lender's copies with location, call number and
a scannable item barcode, sorted by location then call number, A4 or 80 mm receipt, in
English and Urdu, and no CSRF token in any URL."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.conf import settings
from PIL import Image

from ill.pull_slips import barcode_svg
from ill.routing import route
from ill.services import ill_request_create
from tests.ill.factories import held_by

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(patron, librarian, lender, act, agreement):
    """Three requests the lender was asked to supply, its copies in two locations."""
    shelves = [
        ("Stacks, 2nd floor", "PN1993.5.U6 F347 2020", "39001004567891"),
        ("Reference room", "Z675.U5 A35 1999", "39001000000017"),
        ("Stacks, 2nd floor", "DS384 .Q8 1967", "39001000000025"),
    ]
    made = []
    for location, call_number, barcode in shelves:
        record = held_by(lender, location=location, call_number=call_number, barcode=barcode)
        req = act(ill_request_create(actor=patron, bib_record_id=record.pk), "validate", librarian)
        route(request_id=req.pk)
        made.append(req)
    return made


def _slips(client, reqs, layout="a4") -> str:
    ids = ",".join(str(r.pk) for r in reqs)
    return client.get(f"/ill/lending/pull-slips/?ids={ids}&layout={layout}").content.decode()


def test_a_slip_has_location_call_number_and_item_barcode_sorted_for_the_stacks(
    asked, lender_librarian, login
):
    html = _slips(login(lender_librarian), asked)
    # then each slip says where the copy is, its call number and its barcode
    assert "PN1993.5.U6 F347 2020" in html and "39001004567891" in html and "Reference room" in html
    assert html.count('<svg class="barcode"') == 3
    # sorted by location, then call number: Reference room first, then the stacks' DS before PN
    references = re.findall(r'data-reference="(ILL-\d+)"', html)
    assert references == [asked[1].reference, asked[2].reference, asked[0].reference]
    # and the barcode's SVG has no inline style (the CSP would refuse it)
    assert "style=" not in html.split('<svg class="barcode"', 1)[1].split("</svg>", 1)[0]


def test_a_citation_with_no_copy_on_record_is_printed_last(
    asked, lender, lender_librarian, patron, librarian, act, login
):
    record = held_by(lender)
    req = act(ill_request_create(actor=patron, bib_record_id=record.pk), "validate", librarian)
    route(request_id=req.pk)
    record.holdings.all().delete()
    html = _slips(login(lender_librarian), [*asked, req])
    references = re.findall(r'data-reference="(ILL-\d+)"', html)
    assert references[-1] == req.reference
    assert "No copy of this title is on record for your library" in html


def test_the_barcode_scans_as_the_item_id():
    # the SVG's bars, drawn as an image, are read back by a barcode reader as the item id
    svg = str(barcode_svg("39001004567891"))
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    image = Image.new("L", (width, height + 20), 255)
    pixels = image.load()
    for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', svg):
        for dx in range(int(w)):
            for y in range(10, 10 + height):
                pixels[int(x) + dx, y] = 0
    found = zxingcpp.read_barcodes(image)
    assert [(b.text, b.format.name) for b in found] == [("39001004567891", "Code128")]


def test_the_queue_posts_the_ticked_requests_and_the_slips_url_has_no_csrf_token(
    asked, lender_librarian, login
):
    client = login(lender_librarian)
    client.handler.enforce_csrf_checks = True
    queue = client.get("/ill/lending/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', queue)[1]
    response = client.post(
        "/ill/lending/pull-slips/",
        {"csrfmiddlewaretoken": token, "ids": [r.pk for r in asked], "layout": "receipt"},
    )
    # then the answer is a redirect to a plain address of the ids and the layout
    assert response.status_code == 302
    location = response["Location"]
    assert "csrf" not in location.lower() and token not in location
    assert "layout=receipt" in location
    html = client.get(location).content.decode()
    assert html.count('data-testid="slip"') == 3 and "css/pull_slips_receipt.css" in html
    # and the queue's form no longer sends it by GET
    assert 'formmethod="get"' not in queue


def test_pull_slips_in_urdu_keep_call_numbers_left_to_right(asked, lender_librarian, login):
    client = login(lender_librarian)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    html = _slips(client, asked)
    assert 'dir="rtl"' in html and "مقام" in html
    assert '<bdi dir="ltr">PN1993.5.U6 F347 2020</bdi>' in html


def test_another_library_sees_no_slips_of_requests_it_was_not_asked(asked, librarian, login):
    html = _slips(login(librarian), asked)
    assert 'data-testid="slip"' not in html and "39001004567891" not in html


def test_the_svg_is_valid_xml():
    from lxml import etree

    etree.parse(io.BytesIO(str(barcode_svg("ABC-123")).encode()))
