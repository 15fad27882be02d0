"""The MARCXML export is valid against the MARC21 slim schema for every record, repaired as
OAI-PMH and SRU repair it; the source record as the library sent it is a separate export."""

from __future__ import annotations

import io
from pathlib import Path

import pymarc
import pytest
from django.test import Client
from lxml import etree

from catalogue.models import SourceRecord
from catalogue.xml_formats import marcxml_document
from tests.catalogue.factories_search import make_record
from tests.catalogue.xml_helpers import MARC21_SLIM_XSD, load_schema

SHARED_MARC = Path(__file__).resolve().parents[3] / "shared" / "data" / "marc"
pytestmark = pytest.mark.django_db
MARC21_SLIM = load_schema(MARC21_SLIM_XSD)  # LoC's MARC21slim.xsd where shared/ has it


def _shared_records() -> list[tuple[str, pymarc.Record]]:
    """Every record pymarc can read from the shared real-world files (MARC and MARCXML)."""
    records = []
    for path in sorted(SHARED_MARC.rglob("*")):
        if path.suffix in (".mrc", ".marc"):
            reader = pymarc.MARCReader(
                path.read_bytes(), to_unicode=True, force_utf8=True, utf8_handling="replace"
            )
            found = [r for r in reader if r is not None]
        elif path.suffix == ".xml":
            try:
                found = pymarc.parse_xml_to_array(io.BytesIO(path.read_bytes()))
            except Exception:  # noqa: S112 - a file pymarc cannot read is no export case
                continue
        else:
            continue
        records += [(f"{path.relative_to(SHARED_MARC)}#{n}", r) for n, r in enumerate(found) if r is not None]
    return records


@pytest.mark.skipif(not SHARED_MARC.is_dir(), reason="../shared/data is not beside the repository")
def test_every_shared_record_exports_as_schema_valid_marcxml():
    records = _shared_records()
    assert len(records) > 400  # the whole real-world set (445 records), not a sample
    invalid = []
    raw_leaders_the_schema_refuses = 0
    for name, record in records:
        document = etree.fromstring(marcxml_document(record))
        if not MARC21_SLIM.validate(document):
            invalid.append(f"{name}: {MARC21_SLIM.error_log.last_error}")
        raw_leaders_the_schema_refuses += not _leader_valid(str(record.leader))
    assert invalid == [], f"{len(invalid)} of {len(records)} invalid:\n" + "\n".join(invalid[:20])
    # and the set holds leaders that the schema refuses as they arrived, so repair was needed
    assert raw_leaders_the_schema_refuses > 0


def _leader_valid(leader: str) -> bool:
    """Whether a leader, as it arrived, fits MARC21slim.xsd's leaderDataType."""
    document = etree.fromstring(
        b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>'
        + leader.encode("utf-8", "replace").replace(b"&", b"&amp;").replace(b"<", b"&lt;")
        + b"</leader></record>"
    )
    return MARC21_SLIM.validate(document)


def _odd_source(library) -> tuple[int, bytes]:
    """A record whose source has a serial's leader with a blank-padded tail, a '?' at leader/17
    and an indicator '-', as some real catalogues send them."""
    record = make_record(title="Frequency of publication", libraries=[library])
    marc = pymarc.Record(force_utf8=True, leader="01885cas a2200421?a 45 0")
    marc.add_field(pymarc.Field(tag="001", data="ser-1"))
    marc.add_field(
        pymarc.Field(
            tag="245", indicators=["-", "0"], subfields=[pymarc.Subfield("a", "Frequency of publication")]
        )
    )
    raw = marc.as_marc()
    SourceRecord.objects.filter(pk=record.preferred_source_id).update(marc=raw)
    return record.pk, raw


def test_the_marcxml_export_repairs_what_the_schema_refuses_and_the_source_export_keeps_it(
    client: Client, library
):
    record_id, raw = _odd_source(library)
    # the MARCXML download validates, with the title kept
    response = client.get(f"/records/{record_id}/export/marcxml/")
    document = etree.fromstring(response.content)
    assert MARC21_SLIM.validate(document), MARC21_SLIM.error_log
    assert "Frequency of publication" in response.content.decode()
    # the "as received" download is the library's bytes, untouched
    source = client.get(f"/records/{record_id}/export/source/")
    assert source.content == raw and "as-received" in source["Content-Disposition"]
    # and the record page offers it
    assert f"/records/{record_id}/export/source/" in client.get(f"/records/{record_id}/").content.decode()


def test_a_record_built_from_merged_fields_has_no_source_export(client: Client):
    record = make_record(title="Merged only", libraries=[])
    response = client.get(f"/records/{record.pk}/export/source/")
    assert response.status_code == 404 and "no source record as received" in response.content.decode()
    assert "/export/source/" not in client.get(f"/records/{record.pk}/").content.decode()
