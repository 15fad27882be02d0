"""SRU as copy-cataloguing clients speak it: yaz-client 5.34 (the YAZ toolkit whose ZOOM
library Koha's Z39.50/SRU search runs on), over SRW (SOAP, yaz's default for http://), SRU
GET and SRU POST, versions 1.1 and 1.2, MARCXML records, and the index names Koha's SRU
search-field mapping sends; and SRW envelopes that cannot be answered get a SOAP Fault."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pymarc
import pytest
from lxml import etree

from catalogue import services
from catalogue.sru.srw import SOAP_NS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("served_xml_is_schema_valid")]
YAZ = shutil.which("yaz-client")
needs_yaz = pytest.mark.skipif(YAZ is None, reason="!! yaz-client is not installed (apt-get install yaz)")


@pytest.fixture
def catalogue(library, tmp_path):
    """Two records as a library imports them: with ISBN, ISSN-less book, LCCN and an OCLC number."""
    data = b""
    for local_id, isbn, lccn, oclc, title, author, subject in (
        ("b1", "9780195977790", "2001345678", "(OCoLC)ocm45678901", "Pakistan: a modern history",
         "Talbot, Ian", "Pakistan -- History"),
        ("b2", "9789694070162", "93-912345", "(OCoLC)12345678", "The idea of Pakistan", "Cohen, Stephen P.",
         "Nationalism -- Pakistan"),
    ):  # fmt: skip
        record = pymarc.Record(force_utf8=True)
        record.add_field(pymarc.Field(tag="001", data=local_id))
        record.add_field(
            pymarc.Field(tag="010", indicators=[" ", " "], subfields=[pymarc.Subfield("a", lccn)])
        )
        record.add_field(
            pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)])
        )
        record.add_field(
            pymarc.Field(tag="035", indicators=[" ", " "], subfields=[pymarc.Subfield("a", oclc)])
        )
        record.add_field(
            pymarc.Field(tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", author)])
        )
        record.add_field(
            pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", title)])
        )
        record.add_field(
            pymarc.Field(tag="650", indicators=[" ", "0"], subfields=[pymarc.Subfield("a", subject)])
        )
        data += record.as_marc()
    path = tmp_path / "books.mrc"
    path.write_bytes(data)
    services.import_path(actor=None, library=library, path=path, processes=1)


def _yaz(url: str, *commands: str) -> str:
    script = "\n".join([f"open {url}", *commands, "quit"]) + "\n"
    result = subprocess.run([YAZ], input=script, capture_output=True, text=True, timeout=60, check=False)
    return result.stdout + result.stderr


# How yaz-client is told to talk: SRW (its default for http://), SRU GET, SRU POST.
TRANSPORTS = {"srw-1.2": [], "get-1.1": ["sru get 1.1"], "get-1.2": ["sru get 1.2"],
              "post-1.1": ["sru post 1.1"], "post-1.2": ["sru post 1.2"]}  # fmt: skip
# The searches Koha's SRU search-field mapping makes (title, author, isbn, issn, subject,
# lccn, control number), with the record each finds.
KOHA_SEARCHES = [
    ('title="modern history"', "Pakistan: a modern history"),
    ("dc.title=idea", "The idea of Pakistan"),
    ('author="Talbot"', "Pakistan: a modern history"),
    ("dc.creator=cohen", "The idea of Pakistan"),
    ("isbn=978-0-19-597779-0", "Pakistan: a modern history"),
    ("bath.isbn=9694070163", "The idea of Pakistan"),
    ('subject="nationalism"', "The idea of Pakistan"),
    ("lccn=93-912345", "The idea of Pakistan"),
    ("bath.lccn=2001345678", "Pakistan: a modern history"),
    ("controlnumber=45678901", "Pakistan: a modern history"),
    ("rec.identifier=ocm12345678", "The idea of Pakistan"),
]


@needs_yaz
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_yaz_client_copy_catalogues_from_the_union_catalogue(live_server, catalogue, transport):
    for query, title in KOHA_SEARCHES:
        out = _yaz(
            f"{live_server.url}/sru", *TRANSPORTS[transport], "querytype cql", "format xml",
            "elements marcxml", f"find {query}", "show 1",
        )  # fmt: skip
        assert re.search(r"Number of hits: 1\b", out), (transport, query, out[-1500:])
        assert title in out and "http://www.loc.gov/MARC21/slim" in out, (transport, query, out[-1500:])


@needs_yaz
def test_yaz_client_reads_a_diagnostic_for_an_index_the_portal_does_not_have(live_server, catalogue):
    out = _yaz(f"{live_server.url}/sru", "querytype cql", "find dewey=954.91")
    assert "SRW diagnostic info:srw/diagnostic/1/16" in out and "There is no index 'dewey'" in out, out[-800:]


def _srw(client, body: bytes):
    return client.post("/sru", data=body, content_type="text/xml")


def test_an_srw_search_is_answered_in_an_envelope(client, catalogue):
    body = (
        f'<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_NS}"><SOAP-ENV:Body>'
        '<zs:searchRetrieveRequest xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version>'
        "<zs:query>dc.title=idea</zs:query><zs:maximumRecords>5</zs:maximumRecords>"
        "<zs:recordSchema>marcxml</zs:recordSchema></zs:searchRetrieveRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()
    response = _srw(client, body)
    root = etree.fromstring(response.content)
    ns = {"s": SOAP_NS, "zs": "http://www.loc.gov/zing/srw/"}
    assert response.status_code == 200
    assert (
        root.xpath("string(/s:Envelope/s:Body/zs:searchRetrieveResponse/zs:numberOfRecords)", namespaces=ns)
        == "1"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b" \n", "empty"),  # (the test client drops the content type of a body of nothing)
        (
            b"<SOAP-ENV:Envelope xmlns:SOAP-ENV='http://schemas.xmlsoap.org/soap/envelope/'><SOAP-ENV:Body>",
            "Line 1",
        ),
        (b"<searchRetrieveRequest/>", "SOAP 1.1 Envelope"),
        (b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "DTD or entities"),
        (
            b"<SOAP-ENV:Envelope xmlns:SOAP-ENV='http://schemas.xmlsoap.org/soap/envelope/'><SOAP-ENV:Body>"
            b"<scanRequest/></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            "searchRetrieveRequest and explainRequest",
        ),
    ],
)
def test_an_srw_request_that_cannot_be_read_gets_a_soap_fault_saying_why(client, body, says):
    response = _srw(client, body)
    root = etree.fromstring(response.content)
    assert response.status_code == 500
    assert root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault/faultcode").text == "SOAP-ENV:Client"
    assert says in root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault/faultstring").text


@needs_yaz
def test_the_readme_recipe_runs_as_written(live_server, catalogue):
    # the yaz-client session of the README's Koha recipe, command by command (only the
    # portal's address is this test server's)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("$ yaz-client\n", 1)[1].split("```", 1)[0]
    commands = [line.removeprefix("Z> ") for line in block.splitlines() if line.startswith("Z> ")]
    assert commands[0] == "open http://127.0.0.1:8000/sru"
    out = _yaz(f"{live_server.url}/sru", *commands[1:])
    assert re.search(r"Number of hits: 1\b", out) and "The idea of Pakistan" in out, out[-1500:]
