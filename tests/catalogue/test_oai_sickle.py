"""OAI-PMH as an independent harvester (sickle, over HTTP) sees it: a record that leaves the
catalogue, or one library's set, is harvested as deleted, persistently, by full and by
selective incremental harvests (issue #17, point 6)."""

from __future__ import annotations

import pymarc
import pytest
from sickle import Sickle

from catalogue import services
from catalogue.models import BibRecord

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("served_xml_is_schema_valid")]


def _marc_file(path, *records: tuple[str, str, str]):
    """A MARC file of (local id, ISBN, title) records."""
    data = b""
    for local_id, isbn, title in records:
        record = pymarc.Record(force_utf8=True)
        record.add_field(pymarc.Field(tag="001", data=local_id))
        record.add_field(
            pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)])
        )
        record.add_field(
            pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", title)])
        )
        data += record.as_marc()
    path.write_bytes(data)
    return path


def _import(library, path, **options):
    return services.import_path(actor=None, library=library, path=path, processes=1, **options)


def _headers(sickle: Sickle, **arguments) -> dict[str, tuple[bool, list[str]]]:
    """identifier -> (deleted, setSpecs) of a whole ListIdentifiers harvest."""
    return {
        h.identifier: (h.deleted, h.setSpecs)
        for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False, **arguments)
    }


@pytest.mark.parametrize("page_size", [100, 1])  # one page; and a page per record (resumption, size)
def test_harvesters_hear_of_records_that_left_a_set_or_the_catalogue(
    live_server, library, other_library, tmp_path, settings, page_size
):
    settings.OAI_PAGE_SIZE = page_size
    # given a record both libraries hold (one ISBN: merged), and one only PK-HOME holds
    _import(library, _marc_file(tmp_path / "home.mrc", ("h1", "9780195977790", "Held by both"),
                                ("h2", "9789694070162", "Held by home only")))  # fmt: skip
    _import(other_library, _marc_file(tmp_path / "away.mrc", ("a1", "9780195977790", "Held by both")))
    shared = BibRecord.objects.get(title="Held by both")
    home_only = BibRecord.objects.get(title="Held by home only")
    sickle = Sickle(f"{live_server.url}/oai", max_retries=0)
    # a first harvest of PK-HOME's set finds both
    first = sickle.ListIdentifiers(metadataPrefix="oai_dc", set="library:PK-HOME")
    found = {h.identifier for h in first}
    prefix = next(iter(found)).rsplit("/", 1)[0]
    shared_id, home_id = f"{prefix}/{shared.pk}", f"{prefix}/{home_only.pk}"
    assert found == {shared_id, home_id}
    since = first.oai_response.xml.findtext("{http://www.openarchives.org/OAI/2.0/}responseDate")
    # when PK-HOME replaces its catalogue with a file that has neither
    job = _import(library, _marc_file(tmp_path / "new.mrc", ("h3", "9780199061723", "Kept")), replace=True)
    assert job.withdrawn == 2
    # then an incremental harvest of PK-HOME's set hears that both left it
    incremental = _headers(sickle, set="library:PK-HOME", **{"from": since})
    for record_id in (shared_id, home_id):
        deleted, sets = incremental[record_id]
        assert deleted and [s for s in sets if s.startswith("library:")] == ["library:PK-HOME"]
    # and a full harvest has the record PK-AWAY still holds live, the other deleted
    everything = _headers(sickle)
    assert everything[shared_id][0] is False and "library:PK-AWAY" in everything[shared_id][1]
    assert everything[home_id][0] is True
    # and the records harvest (ListRecords) gives no metadata for the deleted one
    records = {
        r.header.identifier: r for r in sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    }
    assert records[home_id].header.deleted
    assert records[home_id].xml.find("{http://www.openarchives.org/OAI/2.0/}metadata") is None
    assert "Held by both" in str(records[shared_id].metadata)
    # and PK-AWAY's set is unchanged
    assert set(_headers(sickle, set="library:PK-AWAY")) == {shared_id}
