"""SRU 1.2 at /sru: explain, searchRetrieve with CQL, record schemas and every diagnostic.

Each response is validated before anything else against the schemas of tests/catalogue/xml_helpers:
the official MARC21 slim, hand-written SRU 1.2, diagnostics, ZeeRex explain and SRU Dublin Core
(no official copy of those was found, see tests/catalogue/schemas/README.md).
"""

from __future__ import annotations

import pymarc
import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from lxml import etree

from catalogue import services
from catalogue.cql import CqlError, parse_cql
from catalogue.models import BibRecord, SourceRecord
from tests.catalogue.conftest import TRAJECT
from tests.catalogue.factories_search import make_record
from tests.catalogue.xml_helpers import NS, texts, valid_xml

URL = "/sru"


@pytest.fixture(autouse=True)
def _sru_settings(settings):
    settings.PORTAL_BASE_URL = "https://ishtiraak.example.pk"
    settings.SRU_MAX_RECORDS = 100


def sru(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return valid_xml(response.content)


def search(client, query, **params):
    return sru(client, operation="searchRetrieve", version="1.2", query=query, **params)


def diagnostics(root) -> list[tuple[str, str]]:
    return [
        (texts(d, "diag:uri")[0].rsplit("/", 1)[1], (texts(d, "diag:details") or [""])[0])
        for d in root.xpath("//diag:diagnostic", namespaces=NS)
    ]


def count(root) -> int:
    return int(texts(root, "srw:numberOfRecords")[0])


def titles(root) -> list[str]:
    marc = texts(root, "//srw:recordData/marc:record/marc:datafield[@tag='245']/marc:subfield[@code='a']")
    return marc or texts(root, "//srw:recordData/srw_dc:dc/dc:title[1]")


def found(client, query, **params) -> list[str]:
    root = search(client, query, **params)
    assert diagnostics(root) == [], diagnostics(root)
    return titles(root)


@pytest.fixture
def shelf(library, other_library):
    """A few English records with distinct fields."""
    return {
        "history": make_record(
            libraries=[library],
            title="A history of Pakistan",
            authors=["Talbot, Ian"],
            subjects=["Pakistan -- History"],
            publisher="Oxford University Press",
            year=1998,
            isbns=["9780195774580"],
        ),
        "poetry": make_record(
            libraries=[other_library],
            title="Poems of Faiz",
            authors=["Faiz Ahmad Faiz"],
            subjects=["Urdu poetry"],
            publisher="Sang-e-Meel",
            year=1985,
        ),
        "journal": make_record(
            libraries=[library],
            title="Pakistan development review",
            format="serial",
            issns=["0030-9729"],
            year=1961,
        ),
        "economics": make_record(
            libraries=[library, other_library],
            title="Economic growth in South Asia",
            subjects=["Pakistan -- Economic conditions"],
            year=2005,
        ),
    }


# --- explain ------------------------------------------------------------------------------


def test_explain_is_the_default_and_names_indexes_and_schemas(client, db):
    root = sru(client)
    assert root.tag == "{http://www.loc.gov/zing/srw/}explainResponse"
    assert texts(root, "srw:version") == ["1.2"]
    explain = root.xpath("//zr:explain", namespaces=NS)[0]
    assert texts(explain, "zr:serverInfo/zr:host") == ["ishtiraak.example.pk"]
    assert texts(explain, "zr:serverInfo/zr:port") == ["443"]
    indexes = {
        f"{n.get('set')}.{n.text}"
        for n in explain.xpath("zr:indexInfo/zr:index/zr:map/zr:name", namespaces=NS)
    }
    assert {
        "cql.serverChoice",
        "dc.title",
        "dc.creator",
        "dc.subject",
        "dc.publisher",
        "dc.date",
        "bath.isbn",
    } <= indexes
    assert explain.xpath("zr:schemaInfo/zr:schema/@name", namespaces=NS) == ["marcxml", "dc"]
    assert texts(explain, "zr:configInfo/zr:setting[@type='maximumRecords']") == ["100"]
    assert texts(root, "srw:echoedExplainRequest/srw:baseUrl") == ["https://ishtiraak.example.pk/sru"]


def test_explain_packed_as_a_string(client, db):
    root = sru(client, operation="explain", version="1.1", recordPacking="string")
    assert texts(root, "srw:version") == ["1.1"]
    data = root.xpath("//srw:recordData", namespaces=NS)[0]
    assert len(data) == 0 and etree.fromstring(data.text).tag == "{http://explain.z3950.org/dtd/2.0/}explain"


# --- searchRetrieve: what is found --------------------------------------------------------


def test_each_index_finds_its_records(client, shelf):
    assert found(client, "dc.title=pakistan") == ["A history of Pakistan", "Pakistan development review"]
    assert found(client, 'dc.title="history of pakistan"') == ["A history of Pakistan"]
    assert found(client, 'dc.title="pakistan history"') == []  # a phrase keeps its order
    assert found(client, "dc.creator=talbot") == ["A history of Pakistan"]
    assert found(client, 'dc.subject="urdu poetry"') == ["Poems of Faiz"]
    assert found(client, 'dc.publisher="sang e meel"') == ["Poems of Faiz"]
    assert found(client, "bath.isbn=0-19-577458-2") == ["A history of Pakistan"]  # ISBN-10 finds ISBN-13
    assert found(client, "dc.identifier=00309729") == ["Pakistan development review"]
    assert found(client, "bath.issn=0030-9729") == ["Pakistan development review"]
    assert found(client, "title=faiz") == ["Poems of Faiz"]  # no context set: the server's choice
    assert found(client, "faiz") == ["Poems of Faiz"]  # cql.serverChoice
    assert sorted(found(client, "cql.allRecords=1")) == sorted(r.title for r in shelf.values())


def test_years_with_every_relation(client, shelf):
    assert found(client, "dc.date=1985") == ["Poems of Faiz"]
    assert sorted(found(client, "dc.date<1985")) == ["Pakistan development review"]
    assert sorted(found(client, "dc.date<=1985")) == ["Pakistan development review", "Poems of Faiz"]
    assert sorted(found(client, "dc.date>1998")) == ["Economic growth in South Asia"]
    assert sorted(found(client, "dc.date>=1998")) == [
        "A history of Pakistan",
        "Economic growth in South Asia",
    ]
    assert sorted(found(client, 'dc.date within "1980 2000"')) == ["A history of Pakistan", "Poems of Faiz"]
    assert "Poems of Faiz" not in found(client, "dc.date<>1985") and len(found(client, "dc.date<>1985")) == 3


def test_booleans_parentheses_relations_and_truncation(client, shelf):
    assert found(client, "dc.title=pakistan and dc.date>1990") == ["A history of Pakistan"]
    assert sorted(found(client, "faiz or dc.date=2005")) == ["Economic growth in South Asia", "Poems of Faiz"]
    assert found(client, "dc.title=pakistan not dc.title=history") == ["Pakistan development review"]
    assert found(client, "(faiz or talbot) and dc.date<1990") == ["Poems of Faiz"]
    assert sorted(found(client, 'dc.title any "faiz history"')) == ["A history of Pakistan", "Poems of Faiz"]
    assert found(client, 'dc.title all "pakistan review"') == ["Pakistan development review"]
    assert found(client, 'dc.title adj "development review"') == ["Pakistan development review"]
    assert sorted(found(client, "dc.title=pak*")) == ["A history of Pakistan", "Pakistan development review"]
    assert found(client, "DC.TITLE=FAIZ AND dc.creator=faiz") == ["Poems of Faiz"]  # case-insensitive
    assert found(client, '>d="info:srw/cql-context-set/1/dc-v1.1" d.title=faiz') == ["Poems of Faiz"]
    assert found(client, '>"http://zing.z3950.org/cql/bath/2.0/" issn=0030-9729') == [
        "Pakistan development review"
    ]


def test_ranking_follows_the_portal_search(client, shelf):
    # "pakistan" in a title (weight A) outranks "pakistan" in subjects only (weight C).
    ranked = found(client, "pakistan")
    assert ranked[-1] == "Economic growth in South Asia"
    assert set(ranked) == {
        "A history of Pakistan",
        "Pakistan development review",
        "Economic growth in South Asia",
    }


def test_a_query_never_reaches_sql_as_text(client, shelf):
    assert found(client, 'dc.title="\'; DROP TABLE catalogue_bibrecord; --"') == []
    assert found(client, 'dc.title="x\') OR 1=1 --"') == []
    assert BibRecord.objects.count() == 4


def _urdu_marc(path, *, local_id: str, romanized: str, script: str) -> None:
    """An LC-style Urdu record: romanized 245, Urdu script (Arabic code points) in 880."""
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=local_id))
    record.add_field(pymarc.Field(tag="008", data="870101s1987    pk            000 0 urd d"))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=["1", "0"],
            subfields=[pymarc.Subfield("6", "880-01"), pymarc.Subfield("a", romanized)],
        )
    )
    record.add_field(
        pymarc.Field(
            tag="880",
            indicators=["1", "0"],
            subfields=[pymarc.Subfield("6", "245-01/(3/r"), pymarc.Subfield("a", script)],
        )
    )
    path.write_bytes(record.as_marc())


def test_urdu_script_finds_records_whichever_keyboard_typed_it(client, library, tmp_path):
    # The record's 880 uses Arabic code points (ي ك ه), as LC records do.
    path = tmp_path / "urdu.mrc"
    _urdu_marc(
        path, local_id="ur-1", romanized="Pākistānī ʻaurat dorāhe par", script="پاكستانى عورت دوراهے پر"
    )
    job = services.import_path(actor=None, library=library, path=path)
    assert job.created == 1
    record = SourceRecord.objects.get(library=library, local_id="ur-1").bib_record
    make_record(libraries=[library], title="Unrelated")
    # Typed with an Urdu keyboard (ی U+06CC, ک U+06A9, ہ U+06C1):
    assert found(client, 'dc.title="پاکستانی عورت"', recordSchema="dc") == ["Pākistānī ʻaurat dorāhe par"]
    assert found(client, "دوراہے") == ["Pākistānī ʻaurat dorāhe par"]
    # Typed as the record has it, and in romanization without diacritics:
    assert found(client, 'dc.title="پاكستانى عورت"') == ["Pākistānī ʻaurat dorāhe par"]
    assert found(client, 'dc.title="pakistani aurat"') == ["Pākistānī ʻaurat dorāhe par"]
    root = search(client, "دوراہے", recordSchema="dc")
    assert "پاكستانى عورت دوراهے پر" in texts(root, "//dc:title")
    assert record.title_vernacular


def test_urdu_written_without_its_spaces_is_found(client, library, tmp_path):
    path = tmp_path / "urdu.mrc"
    _urdu_marc(path, local_id="ur-2", romanized="Sāhivāl jail kī ḍāʼirī", script="ساہیوال جیل کی ڈائری")
    services.import_path(actor=None, library=library, path=path)
    assert found(client, "ساہیوالجیل") == ["Sāhivāl jail kī ḍāʼirī"]


@pytest.mark.shared_data
def test_real_persian_record_found_by_urdu_letters(client, library):
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    # 87931798: 880 title "اشنائى با حوزه‌هاى علميۀ شيعه" with Arabic ى and ي; typed with Urdu ی.
    expected = SourceRecord.objects.get(library=library, local_id="87931798").bib_record
    hits = found(client, 'dc.title="علمیۀ شیعہ"', recordSchema="dc")
    assert hits == [expected.title]
    assert found(client, 'dc.title="حوزہ ہای"') == found(client, 'dc.title="حوزه هاى"') != []


# --- searchRetrieve: records and paging ---------------------------------------------------


def test_paging_with_start_and_maximum(client, library):
    for n in range(5):
        make_record(libraries=[library], title=f"Pakistan volume {n}", year=2000 + n)
    root = search(client, "dc.title=pakistan", maximumRecords="2")
    assert count(root) == 5
    assert texts(root, "//srw:recordPosition") == ["1", "2"]
    assert texts(root, "srw:nextRecordPosition") == ["3"]
    first = titles(root)
    root = search(client, "dc.title=pakistan", startRecord="5", maximumRecords="2")
    assert texts(root, "//srw:recordPosition") == ["5"] and not texts(root, "srw:nextRecordPosition")
    everything = titles(search(client, "dc.title=pakistan"))
    assert everything[:2] == first and len(set(everything)) == 5
    root = search(client, "dc.title=pakistan", maximumRecords="0")
    assert count(root) == 5 and not root.xpath("//srw:record", namespaces=NS)


def test_maximum_records_is_capped(client, library, settings):
    settings.SRU_MAX_RECORDS = 3
    for n in range(5):
        make_record(libraries=[library], title=f"Karachi {n}")
    root = search(client, "karachi", maximumRecords="1000")
    assert len(titles(root)) == 3 and texts(root, "//srw:echoedSearchRetrieveRequest/srw:maximumRecords") == [
        "3"
    ]


def test_record_schemas_and_packings(client, shelf):
    root = search(client, "faiz")
    assert texts(root, "//srw:record/srw:recordSchema") == ["info:srw/schema/1/marcxml-v1.1"]
    root = search(client, "faiz", recordSchema="info:srw/schema/1/dc-v1.1")
    assert texts(root, "//srw:record/srw:recordSchema") == ["info:srw/schema/1/dc-v1.1"]
    assert texts(root, "//srw_dc:dc/dc:creator") == ["Faiz Ahmad Faiz"]
    root = search(client, "faiz", recordSchema="dc", recordPacking="string")
    packed = root.xpath("//srw:recordData", namespaces=NS)[0].text
    assert etree.fromstring(packed).tag == "{info:srw/schema/1/dc-schema}dc"
    root = sru(client, query="faiz", recordXMLEscaping="xml", queryType="cql")  # SRU 2.0 style
    assert titles(root) == ["Poems of Faiz"]


def test_markup_in_records_and_queries_stays_text(client, library):
    make_record(libraries=[library], title='<img src=x onerror="alert(1)"> Lahore')
    response = client.get(URL, {"query": 'lahore and "<script>"', "operation": "searchRetrieve"})
    assert b"<script>" not in response.content and b"<img" not in response.content
    root = valid_xml(response.content)
    assert texts(root, "//srw:echoedSearchRetrieveRequest/srw:query") == ['lahore and "<script>"']
    root = search(client, "lahore")
    assert titles(root) == ['<img src=x onerror="alert(1)"> Lahore']


def test_post_is_answered_like_get(client, shelf):
    response = client.post(URL, {"operation": "searchRetrieve", "version": "1.2", "query": "faiz"})
    assert titles(valid_xml(response.content)) == ["Poems of Faiz"]


def test_a_page_costs_the_same_queries_whatever_its_size(client, library, django_assert_num_queries):
    for n in range(12):
        make_record(libraries=[library], title=f"Lahore {n}")
    for size in ("2", "12"):
        with django_assert_num_queries(3):  # search, records, their MARC
            search(client, "lahore", maximumRecords=size)
        with django_assert_num_queries(2):  # search, records
            search(client, "lahore", maximumRecords=size, recordSchema="dc")
    with django_assert_num_queries(1):
        search(client, "lahore", maximumRecords="0")


# --- diagnostics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "details"),
    [
        ({"operation": "searchRetrieve"}, "7", "query"),
        ({"operation": "searchRetrieve", "query": " "}, "7", "query"),
        ({"query": "x", "startRecord": "0"}, "6", "startRecord"),
        ({"query": "x", "startRecord": "one"}, "6", "startRecord"),
        ({"query": "x", "maximumRecords": "-1"}, "6", "maximumRecords"),
        ({"query": "x", "queryType": "xcql"}, "6", "queryType"),
        ({"query": ["x", "y"]}, "6", "query"),
        ({"query": "dc.title="}, "10", "9"),
        ({"query": "faiz talbot"}, "10", "11"),
        ({"query": "faiz and"}, "10", "8"),
        ({"query": "x" * 1001}, "12", "1000"),
        ({"query": "(faiz or talbot"}, "13", "0"),
        ({"query": "faiz)"}, "13", "4"),
        ({"query": 'dc.title="faiz'}, "14", "9"),
        ({"query": "marc.title=faiz"}, "15", "marc"),
        ({"query": '>x="info:example" x.title=faiz'}, "15", "info:example"),
        ({"query": "dc.format=book"}, "16", "dc.format"),
        ({"query": "colour=red"}, "16", "colour"),
        ({"query": "dc.title<faiz"}, "19", "<"),
        ({"query": "dc.title==faiz"}, "19", "=="),
        ({"query": "dc.date adj 1990"}, "19", "adj"),
        ({"query": "dc.title encloses faiz"}, "19", "encloses"),
        ({"query": "dc.title =/relevant faiz"}, "20", "relevant"),
        ({"query": 'dc.title=""'}, "27", ""),
        ({"query": 'dc.title="!!!"'}, "27", "!!!"),
        ({"query": "dc.title=pa*stan"}, "28", "pa*stan"),
        ({"query": "dc.title=?aiz"}, "28", "?aiz"),
        ({"query": "dc.title=pa*"}, "29", "3"),
        ({"query": "bath.isbn=0-19-577458-5"}, "36", "0-19-577458-5"),
        ({"query": "dc.date=nineteen"}, "36", "nineteen"),
        ({"query": "dc.date within 1990"}, "36", "1990"),
        ({"query": "faiz prox talbot"}, "37", "prox"),
        ({"query": " or ".join(["faiz"] * 41)}, "38", "40"),
        ({"query": "faiz and/rel.algorithm=cori talbot"}, "46", "rel.algorithm"),
        ({"query": "faiz", "startRecord": "2"}, "61", "2"),
        ({"query": "faiz", "startRecord": "10001"}, "61", "10001"),
        ({"query": "faiz", "recordSchema": "mods"}, "66", "mods"),
        ({"query": "faiz", "recordPacking": "json"}, "71", "json"),
        ({"query": "faiz", "recordXPath": "/record"}, "72", "recordXPath"),
        ({"query": "faiz sortBy dc.title"}, "80", "sortBy"),
        ({"query": "faiz", "sortKeys": "title"}, "80", "sortKeys"),
        ({"query": "faiz", "stylesheet": "http://x/s.xsl"}, "110", "stylesheet"),
        ({"query": "faiz", "version": "2.0"}, "5", "1.2"),
        ({"query": "faiz", "colour": "red"}, "8", "colour"),
        ({"operation": "scan", "scanClause": "dc.title=a"}, "4", "scan"),
        ({"operation": ["explain", "scan"]}, "4", "operation"),
    ],
)
def test_each_diagnostic_names_what_is_wrong(client, shelf, params, code, details):
    if "operation" not in params:
        params = {"operation": "searchRetrieve", **params}
    root = sru(client, **params)
    assert diagnostics(root) == [(code, details)]
    message = texts(root, "//diag:message")[0]
    assert message and ":" in message
    if root.tag.endswith("searchRetrieveResponse"):
        assert not root.xpath("//srw:record", namespaces=NS)


def test_start_past_the_end_still_says_how_many_there_are(client, shelf):
    root = search(client, "pakistan", startRecord="4")
    assert count(root) == 3 and diagnostics(root) == [("61", "4")]


def test_x_parameters_are_ignored(client, shelf):
    assert titles(search(client, "faiz", **{"x-info-5-debug": "1"})) == ["Poems of Faiz"]


def test_no_hits_is_not_a_diagnostic(client, shelf):
    root = search(client, "dc.title=nowhere")
    assert count(root) == 0 and diagnostics(root) == [] and not texts(root, "srw:nextRecordPosition")


# --- any input: a response or a diagnostic, never a 500 -----------------------------------

CQL_PIECES = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "/",
        "=",
        "==",
        "<",
        ">",
        "<=",
        ">=",
        "<>",
        " and ",
        " or ",
        " not ",
        " prox ",
        "*",
        "?",
        "\\",
        "^",
        "dc.title",
        "dc.date",
        "bath.isbn",
        "cql.allRecords",
        ">dc=",
        "sortBy",
        "faiz",
        "1990",
        "پاکستان",
        "ي",
        " ",
        "\u202e",
        "\x00",
        "'",
        ";",
        "--",
    ]
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=60), st.lists(CQL_PIECES, max_size=14).map("".join)))
def test_any_query_gets_records_or_a_diagnostic(client, shelf, query):
    response = client.get(URL, {"operation": "searchRetrieve", "version": "1.2", "query": query})
    assert response.status_code == 200
    root = valid_xml(response.content)
    assert root.xpath("srw:numberOfRecords", namespaces=NS)
    with connection.cursor() as cursor:  # the transaction is still usable: no SQL error happened
        cursor.execute("SELECT 1")


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_the_parser_parses_or_raises_a_diagnostic(text):
    try:
        parse_cql(text)
    except CqlError as error:
        code = error.code
    else:
        code = None
    assert code in {None, 10, 12, 13, 14, 38, 80}
