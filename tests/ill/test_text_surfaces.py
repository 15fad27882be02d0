"""A right-to-left override in catalogue data (a title, a library's name) is contained on
every surface people open: the page and its <title>, ILL notice emails, CSV, RIS and
BibTeX files. One rule (consortium.text.contain_bidi) serves them all; this test
enumerates them. MARC, MARCXML and harvests carry records as catalogued."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from django.utils import timezone

from catalogue.models import BibRecord
from members.models import Library

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE, opened and never closed
TITLE = f"Annual report {RLO}fdp.exe of the library"
SHOWN = "Annual report fdp.exe of the library"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def overridden(record, library):
    BibRecord.objects.filter(pk=record.pk).update(title=TITLE)
    Library.objects.filter(pk=library.pk).update(name=f"Home {RLO}ytisrevinU")
    record.refresh_from_db()
    return record


def test_the_record_page_and_its_title(overridden, client):
    html = client.get(f"/records/{overridden.pk}/").content.decode()
    (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert title.startswith(SHOWN)
    assert not BIDI.search(html)


def test_ill_notice_subject_and_body(overridden, patron, librarian, act, django_capture_on_commit_callbacks):
    from ill.routing import route
    from ill.services import ill_request_create

    # given a patron's request for the record, validated by the home library
    req = ill_request_create(actor=patron, bib_record_id=overridden.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(req, "validate", librarian)
        route(request_id=req.pk)
    # then the lender's notice names the home library and the title, contained
    (notice,) = [m for m in mail.outbox if "New ILL request" in m.subject]
    assert notice.subject.endswith("from Home ytisrevinU")
    assert SHOWN in notice.body
    for message in mail.outbox:
        assert not BIDI.search(message.subject) and not BIDI.search(message.body)


@pytest.mark.parametrize("fmt", ["ris", "bibtex"])
def test_record_exports_for_reference_managers(overridden, client, fmt):
    body = client.get(f"/records/{overridden.pk}/export/{fmt}/").content.decode("utf-8")
    assert "fdp.exe of the library" in body
    assert not BIDI.search(body)


def test_the_citation_to_copy(overridden, client):
    html = client.get(f"/records/{overridden.pk}/").content.decode()
    (citation,) = re.findall(r'data-testid="citation">(.*?)</p>', html, re.S)
    assert SHOWN in citation


@pytest.mark.parametrize("fmt", ["marcxml", "marc"])
def test_marc_exports_carry_the_record_as_catalogued(overridden, client, fmt):
    # MARC is cataloguing interchange (LC's vernacular fields use U+202A...U+202C): not altered
    body = client.get(f"/records/{overridden.pk}/export/{fmt}/").content.decode("utf-8")
    assert TITLE in body


def test_ill_report_csv(overridden, consortium_admin, login):
    today = timezone.localdate().isoformat()
    response = login(consortium_admin).get(f"/ill/reports/?start={today}&end={today}&format=csv")
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert next(r for r in rows if r["library"] == "PK-HOME")["name"] == "Home ytisrevinU"
    assert not BIDI.search(text)
