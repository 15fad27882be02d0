"""OAI-PMH at /oai: the six verbs, paging, selective harvesting, deletions and every error.

Each response is validated before anything else is asserted against the official OAI-PMH 2.0,
oai_dc, oai-identifier and MARC21 slim schemas (stand-ins where shared/ lacks them, see
tests/catalogue/schemas/README.md).
"""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pymarc
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from lxml import etree

from catalogue import services
from catalogue.models import BibRecord, DeletedBibRecord, SourceRecord
from catalogue.oai import arguments, selectors
from catalogue.xml_formats import MARC_NS
from tests.catalogue.conftest import TRAJECT
from tests.catalogue.factories_search import make_record
from tests.catalogue.xml_helpers import NS, texts, valid_xml
from tests.factories import LibraryFactory

URL = "/oai"


@pytest.fixture(autouse=True)
def _oai_settings(settings):
    settings.PORTAL_BASE_URL = "https://ishtiraak.example.pk"
    settings.OAI_REPOSITORY_IDENTIFIER = ""
    settings.OAI_ADMIN_EMAIL = "catalogue@ishtiraak.example.pk"
    settings.OAI_PAGE_SIZE = 100


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return valid_xml(response.content)


def errors(root) -> list[tuple[str, str]]:
    return [(e.get("code"), e.text or "") for e in root.xpath("o:error", namespaces=NS)]


def error_codes(root) -> list[str]:
    return [code for code, _ in errors(root)]


def ident(record_id: int) -> str:
    return f"oai:ishtiraak.example.pk:bib/{record_id}"


def set_updated(record: BibRecord, moment: datetime) -> None:
    BibRecord.objects.filter(pk=record.pk).update(updated_at=moment)


def harvest(client, verb: str = "ListIdentifiers", between_pages=None, **params) -> list[etree._Element]:
    """Every page of a list request, following resumption tokens."""
    pages = [get(client, verb=verb, **params)]
    while True:
        tokens = pages[-1].xpath(f"o:{verb}/o:resumptionToken", namespaces=NS)
        if not tokens or not (tokens[0].text or "").strip():
            return pages
        if between_pages:
            between_pages(len(pages))
        pages.append(get(client, verb=verb, resumptionToken=tokens[0].text))


def identifiers(pages) -> list[str]:
    return [i for page in pages for i in texts(page, "//o:header/o:identifier")]


# --- Identify, ListMetadataFormats, ListSets -----------------------------------------


def test_identify_describes_the_repository(client, library):
    first = make_record(libraries=[library])
    set_updated(first, datetime(2019, 5, 4, 3, 2, 1, 500, tzinfo=UTC))
    make_record(libraries=[library])
    root = get(client, verb="Identify")
    assert texts(root, "o:request") == ["https://ishtiraak.example.pk/oai"]
    assert root.find("o:request", NS).get("verb") == "Identify"
    assert texts(root, "o:Identify/o:repositoryName")[0].endswith("union catalogue")
    assert texts(root, "o:Identify/o:baseURL") == ["https://ishtiraak.example.pk/oai"]
    assert texts(root, "o:Identify/o:protocolVersion") == ["2.0"]
    assert texts(root, "o:Identify/o:adminEmail") == ["catalogue@ishtiraak.example.pk"]
    assert texts(root, "o:Identify/o:earliestDatestamp") == ["2019-05-04T03:02:01Z"]
    assert texts(root, "o:Identify/o:deletedRecord") == ["persistent"]
    assert texts(root, "o:Identify/o:granularity") == ["YYYY-MM-DDThh:mm:ssZ"]
    assert texts(root, "//id:repositoryIdentifier") == ["ishtiraak.example.pk"]
    assert texts(root, "//id:sampleIdentifier") == [ident(1)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", texts(root, "o:responseDate")[0])


def test_identify_on_an_empty_catalogue_and_a_host_that_is_no_domain(client, db, settings):
    settings.PORTAL_BASE_URL = "http://localhost:8000"
    root = get(client, verb="Identify")
    assert texts(root, "o:Identify/o:baseURL") == ["http://localhost:8000/oai"]
    assert texts(root, "o:Identify/o:earliestDatestamp")  # a date, even with no records
    assert not root.xpath("//id:oai-identifier", namespaces=NS)  # "localhost" is not a domain


def test_list_metadata_formats_for_the_repository_and_for_one_item(client, library):
    record = make_record(libraries=[library])
    for params in ({}, {"identifier": ident(record.pk)}):
        root = get(client, verb="ListMetadataFormats", **params)
        assert texts(root, "//o:metadataPrefix") == ["oai_dc", "marc21"]
        assert texts(root, "//o:schema") == [
            "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        ]
        assert texts(root, "//o:metadataNamespace")[1] == MARC_NS


def test_list_sets_has_one_set_per_library_and_per_format(client, library, other_library):
    root = get(client, verb="ListSets")
    specs = texts(root, "//o:setSpec")
    assert specs[:2] == ["library", "format"]
    assert {"library:PK-HOME", "library:PK-AWAY", "format:book", "format:thesis"} <= set(specs)
    names = dict(zip(specs, texts(root, "//o:setName"), strict=True))
    assert names["library:PK-HOME"] == "Home University (PK-HOME)"
    assert not root.xpath("//o:resumptionToken", namespaces=NS)


# --- ListRecords / GetRecord content ----------------------------------------------------


def test_list_records_oai_dc_carries_the_merged_description(client, library, other_library):
    record = make_record(
        libraries=[library, other_library],
        title="Pakistani women at the crossroads",
        subtitle="a study",
        title_vernacular="پاکستانی عورت دوراہے پر",
        authors=["Ahmad, Ayesha", "Khan, Bilal"],
        subjects=["Women -- Pakistan"],
        publisher="Sang-e-Meel",
        year=1987,
        language="urd",
        isbns=["9789694350000"],
    )
    root = get(client, verb="ListRecords", metadataPrefix="oai_dc")
    (header,) = root.xpath("//o:record/o:header", namespaces=NS)
    assert texts(header, "o:identifier") == [ident(record.pk)]
    assert sorted(texts(header, "o:setSpec")) == ["format:book", "library:PK-AWAY", "library:PK-HOME"]
    dc = root.xpath("//oai_dc:dc", namespaces=NS)[0]
    assert texts(dc, "dc:title") == ["Pakistani women at the crossroads : a study", "پاکستانی عورت دوراہے پر"]
    assert dc.xpath("dc:title[2]/@xml:lang", namespaces=NS) == ["ur"]
    assert texts(dc, "dc:creator") == ["Ahmad, Ayesha", "Khan, Bilal"]
    assert texts(dc, "dc:date") == ["1987"]
    assert texts(dc, "dc:type") == ["Text", "Book"]
    assert "urn:isbn:9789694350000" in texts(dc, "dc:identifier")
    assert f"https://ishtiraak.example.pk/records/{record.pk}/" in texts(dc, "dc:identifier")
    assert texts(dc, "dc:language") == ["urd"]


@pytest.mark.shared_data
def test_get_record_marc21_round_trips_the_source_record_880s_included(client, library):
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    source = SourceRecord.objects.get(library=library, local_id="87931798")  # Persian, 880s
    original = next(iter(pymarc.MARCReader(bytes(source.marc), to_unicode=True, force_utf8=True)))
    root = get(client, verb="GetRecord", identifier=ident(source.bib_record_id), metadataPrefix="marc21")
    (marc_xml,) = root.xpath("//o:metadata/marc:record", namespaces=NS)
    (harvested,) = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(marc_xml)))

    def fields(record):
        return [
            (f.tag, f.data)
            if f.is_control_field()
            else (f.tag, f.indicators[:], [tuple(s) for s in f.subfields])
            for f in record.fields
        ]

    assert fields(harvested) == fields(original)
    assert str(harvested.leader)[5:10] == str(original.leader)[5:10]
    assert any("حوزه" in s.value for f in harvested.get_fields("880") for s in f.subfields)


def test_get_record_in_both_formats_and_for_a_record_without_source(client, library):
    held = make_record(libraries=[library], title="Held here")
    bare = make_record(title="No source at all", isbns=["9780195977059"], authors=["Zaidi, S."])
    root = get(client, verb="GetRecord", identifier=ident(held.pk), metadataPrefix="oai_dc")
    assert texts(root, "//dc:title") == ["Held here"]
    root = get(client, verb="GetRecord", identifier=ident(bare.pk), metadataPrefix="marc21")
    assert texts(root, "//marc:datafield[@tag='245']/marc:subfield[@code='a']") == ["No source at all"]
    assert texts(root, "//marc:datafield[@tag='020']/marc:subfield") == ["9780195977059"]
    assert root.find("o:request", NS).attrib == {
        "verb": "GetRecord",
        "identifier": ident(bare.pk),
        "metadataPrefix": "marc21",
    }


def test_markup_and_control_characters_in_records_stay_text(client, library):
    make_record(
        libraries=[library],
        title='<script>alert("x")</script> & \u202eevil\x1b\x0b',
        authors=["O'Brien <b>"],
    )
    for prefix in ("oai_dc", "marc21"):
        response = client.get(URL, {"verb": "ListRecords", "metadataPrefix": prefix})
        assert b"<script>" not in response.content and b"<b>" not in response.content
        root = valid_xml(response.content)
        titles = texts(root, "//dc:title") or texts(root, "//marc:datafield[@tag='245']/marc:subfield")
        assert titles == ['<script>alert("x")</script> & \u202eevil']


def test_post_is_answered_like_get(client, library):
    record = make_record(libraries=[library])
    response = client.post(
        URL, {"verb": "GetRecord", "identifier": ident(record.pk), "metadataPrefix": "oai_dc"}
    )
    root = valid_xml(response.content)
    assert texts(root, "//o:header/o:identifier") == [ident(record.pk)]
    assert client.put(URL).status_code == 405


def test_the_route_is_public_and_named(client, db):
    assert reverse("oai") == URL
    assert client.get(URL, {"verb": "Identify"}).status_code == 200


def test_the_api_docs_name_the_harvesting_interfaces(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "`/oai`" in schema and "`/sru`" in schema


# --- paging -----------------------------------------------------------------------------


def test_paging_returns_every_record_once_with_cursor_and_size(client, library, settings):
    settings.OAI_PAGE_SIZE = 3
    records = [make_record(libraries=[library]) for _ in range(8)]
    pages = harvest(client, metadataPrefix="oai_dc")
    assert len(pages) == 3
    assert identifiers(pages) == [ident(r.pk) for r in records]
    tokens = [p.xpath("//o:resumptionToken", namespaces=NS)[0] for p in pages]
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
        ("0", "8"),
        ("3", "8"),
        ("6", "8"),
    ]
    assert not (tokens[-1].text or "").strip()  # the last page's token is empty (spec 3.5)


def test_a_list_too_long_to_count_cheaply_goes_without_its_size(client, library, settings, monkeypatch):
    settings.OAI_PAGE_SIZE = 2
    monkeypatch.setattr(selectors, "COMPLETE_LIST_SIZE_CAP", 4)
    records = [make_record(libraries=[library]) for _ in range(5)]
    pages = harvest(client, metadataPrefix="oai_dc")
    assert identifiers(pages) == [ident(r.pk) for r in records]
    tokens = [p.xpath("//o:resumptionToken", namespaces=NS)[0] for p in pages]
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
        ("0", None),
        ("2", None),
        ("4", None),
    ]


def test_one_page_list_has_no_token(client, library):
    make_record(libraries=[library])
    root = get(client, verb="ListRecords", metadataPrefix="marc21")
    assert not root.xpath("//o:resumptionToken", namespaces=NS)


@pytest.mark.shared_data
def test_harvest_sees_each_record_once_while_an_import_updates_and_adds_records(
    client, library, tmp_path, settings
):
    settings.OAI_PAGE_SIZE = 5
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    ids = list(BibRecord.objects.order_by("pk").values_list("pk", flat=True))
    plain = set(BibRecord.objects.filter(summary="").values_list("pk", flat=True))
    early = next(i for i in ids[:5] if i in plain)  # harvested on page 1
    late = next(i for i in reversed(ids[5:]) if i in plain)  # on a later page
    originals = {
        r["001"].data.strip(): r
        for r in pymarc.MARCReader(
            (TRAJECT / "test_data.utf8.mrc").read_bytes(), to_unicode=True, force_utf8=True
        )
    }
    by_bib = dict(SourceRecord.objects.filter(library=library).values_list("bib_record_id", "local_id"))

    def reimport_with_new_summaries(page_number: int) -> None:
        if page_number != 1:
            return
        changed = []
        for bib in (early, late):
            record = originals[by_bib[bib]]
            record.add_field(
                pymarc.Field(
                    tag="520", indicators=[" ", " "], subfields=[pymarc.Subfield("a", f"Revised {bib}")]
                )
            )
            changed.append(record)
        new = pymarc.Record(force_utf8=True)
        new.add_field(pymarc.Field(tag="001", data="brand-new-1"))
        new.add_field(
            pymarc.Field(
                tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "Added mid-harvest")]
            )
        )
        path = tmp_path / "changes.mrc"
        path.write_bytes(b"".join(r.as_marc() for r in [*changed, new]))
        job = services.import_path(actor=None, library=library, path=path)
        assert (job.updated, job.created, job.merged) == (2, 1, 0)

    pages = harvest(client, "ListRecords", between_pages=reimport_with_new_summaries, metadataPrefix="oai_dc")
    seen = identifiers(pages)
    assert len(seen) == len(set(seen)) == len(ids) + 1
    assert set(seen) == {ident(i) for i in BibRecord.objects.values_list("pk", flat=True)}
    summaries = {
        texts(r, "o:header/o:identifier")[0]: texts(r, "o:metadata//dc:description")
        for page in pages
        for r in page.xpath("//o:record", namespaces=NS)
    }
    assert summaries[ident(late)] == [f"Revised {late}"]  # reached after the update: the new version
    assert f"Revised {early}" not in summaries[ident(early)]  # sent before it: not sent again
    assert BibRecord.objects.filter(summary=f"Revised {early}", pk=early).exists()
    titles = [t for page in pages for t in texts(page, "//dc:title")]
    assert "Added mid-harvest" in titles


def test_list_page_costs_the_same_queries_whatever_its_size(client, library, other_library, settings):
    for _ in range(3):
        make_record(libraries=[library, other_library])

    def queries(prefix):
        with CaptureQueriesContext(connection) as ctx:
            get(client, verb="ListRecords", metadataPrefix=prefix)
        return len(ctx)

    small = {p: queries(p) for p in ("oai_dc", "marc21")}
    for _ in range(20):
        make_record(libraries=[library, other_library])
    assert {p: queries(p) for p in ("oai_dc", "marc21")} == small
    # page of headers, library codes, records (+ their MARC for marc21)
    assert small == {"oai_dc": 3, "marc21": 4}


def test_first_page_of_a_long_list_counts_it_once(client, library, settings, django_assert_num_queries):
    settings.OAI_PAGE_SIZE = 2
    for _ in range(5):
        make_record(libraries=[library])
    with django_assert_num_queries(3):  # headers, count, library codes
        root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.xpath("//o:resumptionToken", namespaces=NS)[0].text
    with django_assert_num_queries(2):  # later pages carry the size in the token
        get(client, verb="ListIdentifiers", resumptionToken=token)


# --- selective harvesting -------------------------------------------------------------


def test_from_and_until_at_both_granularities(client, library):
    a, b, c = (make_record(libraries=[library]) for _ in range(3))
    set_updated(a, datetime(2024, 3, 1, 23, 59, 59, 900000, tzinfo=UTC))
    set_updated(b, datetime(2024, 3, 2, 10, 0, 0, tzinfo=UTC))
    set_updated(c, datetime(2024, 3, 3, 0, 0, 0, tzinfo=UTC))

    def ids(**params):
        root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **params)
        return [] if error_codes(root) == ["noRecordsMatch"] else texts(root, "//o:identifier")

    assert ids(**{"from": "2024-03-02"}) == [ident(b.pk), ident(c.pk)]
    assert ids(until="2024-03-02") == [ident(a.pk), ident(b.pk)]  # until a day: the whole day
    assert ids(**{"from": "2024-03-02", "until": "2024-03-02"}) == [ident(b.pk)]
    assert ids(until="2024-03-01T23:59:59Z") == [ident(a.pk)]  # until a second: the whole second
    assert ids(**{"from": "2024-03-02T10:00:00Z", "until": "2024-03-02T10:00:00Z"}) == [ident(b.pk)]
    assert ids(**{"from": "2024-03-03T00:00:01Z"}) == []
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2024-03-01")
    assert texts(root, "//o:datestamp") == ["2024-03-01T23:59:59Z"]


def test_set_selects_a_library_or_a_format(client, library, other_library):
    home = make_record(libraries=[library])
    away = make_record(libraries=[other_library], format="thesis")
    both = make_record(libraries=[library, other_library])
    unheld = make_record()

    def ids(set_spec):
        root = get(client, verb="ListIdentifiers", metadataPrefix="marc21", set=set_spec)
        return [] if error_codes(root) == ["noRecordsMatch"] else texts(root, "//o:identifier")

    assert ids("library:PK-HOME") == [ident(home.pk), ident(both.pk)]
    assert ids("library:PK-AWAY") == [ident(away.pk), ident(both.pk)]
    assert ids("library") == [ident(home.pk), ident(away.pk), ident(both.pk)]
    assert ids("format:thesis") == [ident(away.pk)]
    assert ids("format") == [ident(r.pk) for r in (home, away, both, unheld)]
    assert ids("library:PK-NONE") == [] and ids("format:scroll") == [] and ids("colour:red") == []


def test_set_and_dates_survive_paging(client, library, other_library, settings):
    settings.OAI_PAGE_SIZE = 2
    wanted = []
    for n in range(7):
        record = make_record(libraries=[library] if n % 2 else [other_library])
        set_updated(record, datetime(2024, 1, 1 + n, tzinfo=UTC))
        if n % 2 and n >= 2:
            wanted.append(record)
    pages = harvest(client, metadataPrefix="oai_dc", set="library:PK-HOME", **{"from": "2024-01-03"})
    assert identifiers(pages) == [ident(r.pk) for r in wanted]


# --- deleted records -------------------------------------------------------------------


def test_a_record_merged_away_is_reported_deleted(client, library, other_library):
    target = make_record(libraries=[library], title="One book")
    other = make_record(libraries=[other_library], title="One book, again")
    services.bib_record_merge(actor=None, target=target, other=other)
    assert not BibRecord.objects.filter(pk=other.pk).exists()
    tomb = DeletedBibRecord.objects.get(pk=other.pk)

    root = get(client, verb="GetRecord", identifier=ident(other.pk), metadataPrefix="oai_dc")
    (header,) = root.xpath("//o:record/o:header", namespaces=NS)
    assert header.get("status") == "deleted"
    assert texts(header, "o:datestamp") == [arguments.datestamp(tomb.deleted_at)]
    assert not root.xpath("//o:metadata", namespaces=NS)

    root = get(client, verb="ListRecords", metadataPrefix="marc21", set="library:PK-AWAY")
    statuses = {texts(h, "o:identifier")[0]: h.get("status") for h in root.xpath("//o:header", namespaces=NS)}
    assert statuses == {ident(target.pk): None, ident(other.pk): "deleted"}
    root = get(client, verb="ListMetadataFormats", identifier=ident(other.pk))
    assert texts(root, "//o:metadataPrefix") == ["oai_dc", "marc21"]
    root = get(
        client,
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": arguments.datestamp(tomb.deleted_at)},
    )
    assert ident(other.pk) in texts(root, "//o:identifier")


def test_a_record_whose_only_library_withdrew_it_is_deleted_for_harvesters(
    client, library, other_library, tmp_path
):
    # given a record held only by PK-HOME, and one held by PK-AWAY
    withdrawn = make_record(libraries=[library], title="Withdrawn here")
    kept = make_record(libraries=[other_library], title="Kept there")
    replacement = pymarc.Record(force_utf8=True)
    replacement.add_field(pymarc.Field(tag="001", data="only-this"))
    replacement.add_field(
        pymarc.Field(
            tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "The only record now")]
        )
    )
    path = tmp_path / "replace.mrc"
    path.write_bytes(replacement.as_marc())
    # when PK-HOME replaces its catalogue with a file that lacks the record
    job = services.import_path(actor=None, library=library, path=path, replace=True)
    assert job.withdrawn == 1
    # then the merged record stays in the database (services keep records whose sources are
    # all withdrawn), but no library holds it: harvesters are told it is deleted, without
    # metadata, however they ask
    assert not DeletedBibRecord.objects.exists()
    root = get(client, verb="GetRecord", identifier=ident(withdrawn.pk), metadataPrefix="oai_dc")
    (header,) = root.xpath("//o:header", namespaces=NS)
    assert header.get("status") == "deleted"
    assert not root.xpath("//o:metadata", namespaces=NS)
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    (header,) = [
        h
        for h in root.xpath("//o:header", namespaces=NS)
        if texts(h, "o:identifier") == [ident(withdrawn.pk)]
    ]
    assert header.get("status") == "deleted"
    # and a harvester of PK-HOME's set hears that it left the set; PK-AWAY's record is not in it
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="library:PK-HOME")
    headers = {texts(h, "o:identifier")[0]: h for h in root.xpath("//o:header", namespaces=NS)}
    assert headers[ident(withdrawn.pk)].get("status") == "deleted"
    assert texts(headers[ident(withdrawn.pk)], "o:setSpec") == ["library:PK-HOME"]
    assert ident(kept.pk) not in headers


def test_a_deletion_between_pages_is_harvested_as_deleted(client, library, settings):
    settings.OAI_PAGE_SIZE = 2
    records = [make_record(libraries=[library], title=f"Title {n}") for n in range(4)]

    def merge_last_into_first(page_number):
        services.bib_record_merge(actor=None, target=records[0], other=records[3])

    pages = harvest(client, between_pages=merge_last_into_first, metadataPrefix="oai_dc")
    headers = [h for p in pages for h in p.xpath("//o:header", namespaces=NS)]
    assert [(texts(h, "o:identifier")[0], h.get("status")) for h in headers] == [
        (ident(records[0].pk), None),
        (ident(records[1].pk), None),
        (ident(records[2].pk), None),
        (ident(records[3].pk), "deleted"),
    ]


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "says"),
    [
        ({}, "badVerb", "verb argument is missing"),
        ({"verb": "ListEverything"}, "badVerb", "'ListEverything' is not an OAI-PMH verb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb", "more than once"),
        ({"verb": "Identify", "set": "x"}, "badArgument", "Identify does not take the argument set"),
        ({"verb": "ListRecords"}, "badArgument", "ListRecords needs the argument metadataPrefix"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument", "needs the argument identifier"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "marc21"]}, "badArgument", "more than once"),
        ({"verb": "ListRecords", "metadataPrefix": ""}, "badArgument", "metadataPrefix is empty"),
        ({"verb": "ListRecords", "metadataPrefix": "oai dc"}, "badArgument", "not a metadata prefix"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"},
            "badArgument",
            "not a date",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T00:00Z"},
            "badArgument",
            "not a date",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T00:00:00.5Z"},
            "badArgument",
            "not a date",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2024-01-01",
                "until": "2024-02-01T00:00:00Z",
            },
            "badArgument",
            "same granularity",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"},
            "badArgument",
            "from (2024-02-01) is later than until (2024-01-01)",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "library::x"},
            "badArgument",
            "not a setSpec",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
            "exclusive",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "!!"},
            "badResumptionToken",
            "not one this repository issued",
        ),
        ({"verb": "ListIdentifiers", "resumptionToken": "e30"}, "badResumptionToken", "for ListIdentifiers"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken", "issues no resumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat", "format 'mods'"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, "noRecordsMatch", "No records match"),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "library:PK-NONE"},
            "noRecordsMatch",
            "set library:PK-NONE",
        ),
        (
            {"verb": "GetRecord", "identifier": "oai:elsewhere.pk:bib/1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
            "is not an identifier",
        ),
        (
            {
                "verb": "GetRecord",
                "identifier": "oai:ishtiraak.example.pk:bib/01",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
            "bib/01",
        ),
        (
            {
                "verb": "GetRecord",
                "identifier": "oai:ishtiraak.example.pk:bib/999999",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
            "bib/999999",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "bib/1"},
            "idDoesNotExist",
            "they look like oai:ishtiraak.example.pk:bib/1",
        ),
    ],
)
def test_each_error_has_its_code_and_says_what_is_wrong(client, db, params, code, says):
    root = get(client, **params)
    assert error_codes(root) == [code]
    assert says in errors(root)[0][1]
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}  # the spec: base URL only
    else:
        assert request.get("verb") == params["verb"]


def test_get_record_reports_both_an_unknown_format_and_an_unknown_id(client, db):
    root = get(client, verb="GetRecord", identifier=ident(424242), metadataPrefix="mods")
    assert error_codes(root) == ["cannotDisseminateFormat", "idDoesNotExist"]


def test_several_argument_errors_are_all_reported(client, db):
    root = get(client, verb="ListRecords", colour="red", size="big")
    assert error_codes(root) == ["badArgument"] * 3


def test_tampered_and_cross_verb_tokens_are_refused(client, library, settings):
    settings.OAI_PAGE_SIZE = 1
    make_record(libraries=[library])
    make_record(libraries=[library])
    root = get(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = root.xpath("//o:resumptionToken", namespaces=NS)[0].text
    assert error_codes(get(client, verb="ListIdentifiers", resumptionToken=token)) == ["badResumptionToken"]
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for change in ({"a": -1}, {"m": "mods"}, {"f": "yesterday"}, {"c": "0"}, {"extra": 1}):
        forged = base64.urlsafe_b64encode(json.dumps({**payload, **change}).encode()).decode().rstrip("=")
        assert error_codes(get(client, verb="ListRecords", resumptionToken=forged)) == ["badResumptionToken"]
    # A token stays valid however long the harvester waits (no expiry, no server state).
    assert not error_codes(get(client, verb="ListRecords", resumptionToken=token))


def test_codes_that_never_apply_here(client, library):
    """Sets are supported (no noSetHierarchy) and every item, deleted or not, has both
    formats (no noMetadataFormats): the requests that would raise them get answers."""
    record = make_record(libraries=[library])
    assert not error_codes(get(client, verb="ListSets"))
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="library:PK-HOME")
    assert texts(root, "//o:identifier") == [ident(record.pk)]
    assert texts(get(client, verb="ListMetadataFormats", identifier=ident(record.pk)), "//o:metadataPrefix")


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            ["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken", "x"]
        ),
        st.one_of(
            st.sampled_from(
                ["ListRecords", "GetRecord", "ListIdentifiers", "oai_dc", "marc21", "2024-01-01"]
            ),
            st.text(max_size=30),
        ),
        max_size=5,
    )
)
def test_any_arguments_get_a_valid_response(client, library, params):
    response = client.get(URL, params)
    root = valid_xml(response.content)
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"


def test_identifier_domain_follows_the_setting(client, library, settings):
    settings.OAI_REPOSITORY_IDENTIFIER = "catalogue.ishtiraak.pk"
    record = make_record(libraries=[library])
    root = get(
        client,
        verb="GetRecord",
        identifier=f"oai:catalogue.ishtiraak.pk:bib/{record.pk}",
        metadataPrefix="oai_dc",
    )
    assert texts(root, "//o:identifier") == [f"oai:catalogue.ishtiraak.pk:bib/{record.pk}"]


def test_datestamps_are_utc_seconds(db):
    moment = datetime(2024, 6, 1, 5, 0, 0, 999999, tzinfo=UTC) + timedelta(hours=0)
    assert arguments.datestamp(moment) == "2024-06-01T05:00:00Z"
    karachi = moment.astimezone(ZoneInfo("Asia/Karachi"))
    assert arguments.datestamp(karachi) == "2024-06-01T05:00:00Z"


def test_library_factory_codes_are_valid_set_specs(db):
    assert arguments.SPEC_RE.match("library:" + LibraryFactory().code)
