"""Importing files into the union catalogue: merging, re-import, replace, bad input."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield

from catalogue import services
from catalogue.imports import jobs, parsing, planning
from catalogue.marc import MSG_XML_ENCODING
from catalogue.models import BibRecord, Holding, ImportJob, MatchDecision, MatchKey, SourceRecord
from consortium.exceptions import DomainError, PermissionDenied
from tests.catalogue.conftest import TRAJECT, TRLN

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def marc_record(
    local_id: str,
    title: str,
    *,
    isbn: str = "",
    year: str = "2001",
    barcodes=("B1",),
    edition: str = "",
    author: str = "Hyder, Qurratulain",
    notes: tuple[str, ...] = (),
    subject: str = "",
) -> Record:
    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(Field(tag="001", data=local_id))
    record.add_field(Field(tag="008", data=f"010101s{year}    pk            000 0 urd d"))
    if isbn:
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    record.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)]))
    record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)]))
    if edition:
        record.add_field(
            Field(tag="250", indicators=Indicators(" ", " "), subfields=[Subfield("a", edition)])
        )
    for note in notes:
        record.add_field(Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", note)]))
    if subject:
        record.add_field(
            Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", subject)])
        )
    for barcode in barcodes:
        record.add_field(
            Field(
                tag="852",
                indicators=Indicators(" ", " "),
                subfields=[Subfield("b", "Main"), Subfield("h", "PK6199"), Subfield("p", barcode)],
            )
        )
    return record


def write(tmp_path, name: str, *records: Record):
    path = tmp_path / name
    path.write_bytes(b"".join(r.as_marc() for r in records))
    return path


def test_same_records_from_two_libraries_merge_and_keep_every_holding(library, other_library):
    first = services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    second = services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    assert (first.status, first.created, first.merged, first.rejected) == (
        "done",
        29,
        1,
        0,
    )  # 30 records, 1 merged: LC's two records of Kubo's book are one
    assert (second.status, second.created, second.merged) == ("done", 0, 30)
    # 29: LC's two records of Kubo Sakae's book (00314247, 2008543486) are one book.
    assert BibRecord.objects.count() == 29
    assert Holding.objects.count() == 60
    kubo = SourceRecord.objects.get(library=library, local_id="00314247").bib_record
    assert kubo.sources.count() == 4
    for record in BibRecord.objects.all():
        assert sorted(record.library_ids) == sorted([library.pk, other_library.pk])
        assert record.preferred_source_id is not None


def test_each_record_counts_once_as_new_or_merged(library, other_library, tmp_path):
    # Given six titles, and the same six in another library's file
    titles = [f"Distinct title number {i}" for i in range(6)]
    first = write(
        tmp_path, "a.mrc", *(marc_record(f"A{i}", t, year=str(1950 + i)) for i, t in enumerate(titles))
    )
    second = write(
        tmp_path, "b.mrc", *(marc_record(f"B{i}", t, year=str(1950 + i)) for i, t in enumerate(titles))
    )
    # When both are imported
    a = services.import_path(actor=None, library=library, path=first)
    b = services.import_path(actor=None, library=other_library, path=second)
    # Then the first file's records are new, the second's merged: never both
    assert (a.created, a.merged, b.created, b.merged) == (6, 0, 0, 6)
    for job in (a, b):
        assert job.created + job.merged + job.updated + job.unchanged + job.rejected == job.processed == 6
    assert BibRecord.objects.count() == 6


def test_importing_the_same_file_twice_changes_nothing(library):
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    before = list(BibRecord.objects.order_by("pk").values_list("pk", "updated_at"))
    again = services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 30)
    assert list(BibRecord.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_reimport_updates_in_place_and_never_loses_a_holding(library, tmp_path):
    services.import_path(
        actor=None,
        library=library,
        path=write(tmp_path, "a.mrc", marc_record("L1", "Aag ka darya", barcodes=("B1", "B2"))),
    )
    holding_ids = set(Holding.objects.values_list("pk", flat=True))
    job = services.import_path(
        actor=None,
        library=library,
        path=write(tmp_path, "b.mrc", marc_record("L1", "Aag ka darya : novel", barcodes=("B2", "B3"))),
    )
    assert job.updated == 1 and SourceRecord.objects.count() == 1
    statuses = dict(Holding.objects.values_list("barcode", "status"))
    assert statuses == {"B1": "withdrawn", "B2": "available", "B3": "available"}
    assert holding_ids <= set(Holding.objects.values_list("pk", flat=True))


def test_replace_withdraws_records_absent_from_the_new_file(library, tmp_path):
    services.import_path(
        actor=None,
        library=library,
        path=write(
            tmp_path,
            "a.mrc",
            marc_record("L1", "Aag ka darya"),
            marc_record("L2", "Udas naslen", barcodes=("X",)),
        ),
    )
    job = services.import_path(
        actor=None,
        library=library,
        replace=True,
        path=write(tmp_path, "b.mrc", marc_record("L1", "Aag ka darya")),
    )
    assert job.withdrawn == 1
    gone = SourceRecord.objects.get(local_id="L2")
    assert gone.withdrawn and gone.holdings.get().status == "withdrawn"
    assert gone.bib_record.library_ids == []


def test_different_editions_and_volumes_never_merge(library, other_library, tmp_path):
    services.import_path(
        actor=None,
        library=library,
        path=write(tmp_path, "a.mrc", marc_record("A1", "Tarikh-i Pakistan", edition="2nd ed.")),
    )
    services.import_path(
        actor=None,
        library=other_library,
        path=write(
            tmp_path,
            "b.mrc",
            marc_record("B1", "Tarikh-i Pakistan", edition="3rd ed."),
            marc_record("B2", "Tarikh-i Pakistan", edition="Second edition"),
        ),
    )
    assert BibRecord.objects.count() == 2
    assert (
        SourceRecord.objects.get(local_id="B2").bib_record
        == SourceRecord.objects.get(local_id="A1").bib_record
    )


def test_bad_records_are_reported_and_good_ones_still_import(library, tmp_path):
    good = (TRAJECT / "george_eliot.marc").read_bytes()
    bad = (TRAJECT / "bad_utf_byte.utf8.marc").read_bytes()
    path = tmp_path / "mixed.mrc"
    path.write_bytes(good + bad + (TRAJECT / "245_no_ab.marc").read_bytes() + good[:100])
    job = services.import_path(actor=None, library=library, path=path)
    assert (job.status, job.created, job.rejected) == ("done", 2, 2)
    errors = list(job.errors.values_list("record_number", "reason"))
    assert errors[0][0] == 2 and "Invalid UTF-8" in errors[0][1]
    assert errors[1][0] == 4 and "Truncated" in errors[1][1]


def test_file_with_only_bad_records_fails_with_the_reason(library):
    job = services.import_path(actor=None, library=library, path=TRAJECT / "bad_utf_byte.utf8.marc")
    assert job.status == "failed"
    assert "no record could be imported" in job.error


def test_invalid_xml_fails_naming_the_file(library):
    job = services.import_path(actor=None, library=library, path=TRAJECT / "sample-oai-pmh.xml")
    assert job.status == "failed" and job.error.startswith("sample-oai-pmh.xml: No MARC records")


def test_xml_in_an_unknown_encoding_is_rejected_naming_it_and_nothing_is_imported(library, tmp_path):
    # given a MARCXML file whose declaration names an encoding that does not exist
    text = (TRAJECT / "test_data.utf8.marc.xml").read_text()
    path = tmp_path / "typo.xml"
    path.write_text('<?xml version="1.0" encoding="UVF-8"?>\n' + text)
    # when it is imported (a task would have crashed with LookupError)
    job = services.import_path(actor=None, library=library, path=path)
    # then the job failed with a message naming the file, the encoding and the line
    assert job.status == "failed"
    assert job.error == "typo.xml: " + str(MSG_XML_ENCODING).format(line=1, encoding="UVF-8")
    assert "run it again" not in job.error
    # and nothing was imported
    assert not SourceRecord.objects.exists() and not BibRecord.objects.exists()
    assert (job.processed, job.created, job.rejected) == (0, 0, 0)


def test_file_over_the_size_limit_is_refused(library, settings):
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(DomainError, match="over the limit of 10 bytes"):
        services.import_job_create(actor=None, library=library, file=io.BytesIO(b"x" * 11), name="big.mrc")


def test_empty_upload_is_refused(library):
    with pytest.raises(DomainError, match=r"empty\.mrc: the file is empty"):
        services.import_job_create(actor=None, library=library, file=io.BytesIO(b""), name="empty.mrc")


def test_staff_of_another_library_may_not_import(library, other_librarian):
    with pytest.raises(PermissionDenied):
        services.import_job_create(
            actor=other_librarian, library=library, file=io.BytesIO(b"x"), name="a.mrc"
        )


def test_interrupted_import_can_be_run_again_and_counts_the_whole_file(library, tmp_path, monkeypatch):
    # given a file of five good records and a bad one, read two records a batch
    records = [marc_record(f"L{i}", f"Title number {i}", year="1990") for i in range(5)]
    path = tmp_path / "many.mrc"
    bad = (TRAJECT / "bad_utf_byte.utf8.marc").read_bytes()
    path.write_bytes(
        b"".join(r.as_marc() for r in records[:1]) + bad + b"".join(r.as_marc() for r in records[1:])
    )
    monkeypatch.setattr(parsing, "BATCH_SIZE", 2)
    monkeypatch.setattr(parsing, "FIRST_BATCH_SIZE", 2)
    calls = {"n": 0}
    real = planning.plan_batch

    def dying(job, results, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(job, results, **kwargs)

    monkeypatch.setattr(planning, "plan_batch", dying)
    with open(path, "rb") as fh:
        job = services.import_job_create(actor=None, library=library, file=fh, name="many.mrc")
    # when the import dies in its second batch
    with pytest.raises(RuntimeError):
        services.import_job_run(job_id=job.pk)
    assert SourceRecord.objects.count() == 1 and ImportJob.objects.get().status == "failed"
    # and is run again
    monkeypatch.setattr(planning, "plan_batch", real)
    job = services.import_job_run(job_id=job.pk)
    # then it finished the rest, and its counts are those of the whole file, once each
    assert (job.status, job.processed, job.created, job.unchanged, job.rejected) == ("done", 6, 5, 0, 1)
    assert list(job.errors.values_list("record_number", flat=True)) == [2]
    assert SourceRecord.objects.count() == 5 == BibRecord.objects.count() == Holding.objects.count()


def test_import_runs_with_the_debug_cursor_of_the_local_portal(library, other_library, settings):
    # given DEBUG on, as `dev.py run` has it (Django then wraps cursors to log every query)
    settings.DEBUG = True
    # when two libraries import (COPY loads, staging tables, the record UPDATE)
    first = services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    second = services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    # then both finish
    assert (first.status, first.created, second.status, second.merged) == (
        "done",
        29,
        "done",
        30,
    )  # 30 records, 1 merged: LC's two records of Kubo's book are one


def test_import_gives_the_garbage_collector_back_even_when_it_fails(library, monkeypatch):
    # given an import that pauses the cyclic collector while it runs
    import gc

    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    assert gc.isenabled()

    # when a batch fails
    def dying(job, results, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(planning, "plan_batch", dying)
    with pytest.raises(RuntimeError):
        services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.marc.xml")
    # then the collector runs again
    assert gc.isenabled()


def test_split_is_remembered_by_rematch(library, other_library):
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    source = SourceRecord.objects.filter(library=other_library).first()
    old = source.bib_record
    before = BibRecord.objects.count()
    new = services.bib_record_split(actor=None, source=source)
    assert new.pk != old.pk and MatchDecision.objects.filter(same=False).count() == 1
    services.catalogue_rematch()
    source.refresh_from_db()
    assert source.bib_record_id == new.pk
    assert BibRecord.objects.count() == before + 1
    services.bib_record_merge(actor=None, target=old, other=new)
    services.catalogue_rematch()
    source.refresh_from_db()
    assert source.bib_record_id == old.pk and BibRecord.objects.count() == before


def test_rematch_collapses_duplicates(library, other_library, tmp_path):
    services.import_path(
        actor=None, library=library, path=write(tmp_path, "a.mrc", marc_record("A", "Raja Gidh"))
    )
    services.import_path(
        actor=None, library=other_library, path=write(tmp_path, "b.mrc", marc_record("B", "Raja Gidh"))
    )
    assert BibRecord.objects.count() == 1
    assert services.catalogue_rematch()["moved"] == 0


def test_trln_edited_copies_of_one_record_merge_by_oclc(library, other_library):
    services.import_path(actor=None, library=library, path=TRLN / "unc" / "this_work01.mrc")
    job = services.import_path(actor=None, library=other_library, path=TRLN / "unc" / "this_work02.mrc")
    assert job.created == 1


def test_import_writes_the_same_search_document_as_the_indexing_helpers(library, other_library):
    from catalogue.indexing import refresh_holding_arrays, refresh_search_documents

    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    before = dict(BibRecord.objects.values_list("pk", "search_document"))
    arrays = list(BibRecord.objects.order_by("pk").values_list("library_ids", "province_ids"))
    ids = list(before)
    refresh_search_documents(ids)
    refresh_holding_arrays(ids)
    assert dict(BibRecord.objects.values_list("pk", "search_document")) == before
    assert list(BibRecord.objects.order_by("pk").values_list("library_ids", "province_ids")) == arrays
    assert all(before.values())


def test_parser_processes_give_the_same_result(library, tmp_path):
    text = (TRAJECT / "test_data.utf8.marc.xml").read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(text[: text.index("</record>") + len("</record>")] + "<record><leader>")
    job = services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc", processes=2)
    assert (job.status, job.created, job.merged) == ("done", 29, 1)
    job = services.import_path(actor=None, library=library, path=broken, processes=2)
    assert job.status == "done" and job.unchanged == 1
    assert job.error.startswith("broken.xml: Invalid XML at line")


def _parse_in_a_celery_worker_process(path: str) -> tuple[int, list[int]]:
    """Runs in a daemonic process of a billiard pool, as Celery's prefork workers run tasks."""
    count = sum(len(batch) for batch in parsing.parsed_batches(Path(path), "marc", {}, 2))
    return count, sorted(parsing.POOLS[2][1]._processes)


def test_parser_processes_start_in_celery_prefork_workers_and_end_with_them():
    # given a task process of Celery's prefork pool (daemonic: multiprocessing refuses it children)
    import billiard

    pool = billiard.Pool(1)
    try:
        # when it parses a file with two parser processes
        count, parsers = pool.apply(_parse_in_a_celery_worker_process, (str(TRAJECT / "test_data.utf8.mrc"),))
    finally:
        pool.terminate()
        pool.join()
    # then the parser processes did the work
    assert count == 30 and len(parsers) == 2
    # and they end when the worker process that started them is gone
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in parsers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in parsers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_replace_keeps_a_record_whose_new_version_is_rejected(library, tmp_path):
    services.import_path(
        actor=None,
        library=library,
        path=write(
            tmp_path,
            "a.mrc",
            marc_record("L1", "Aag ka darya"),
            marc_record("L2", "Udas naslen", barcodes=("X",)),
        ),
    )
    broken = marc_record("L2", "")
    job = services.import_path(
        actor=None,
        library=library,
        replace=True,
        path=write(tmp_path, "b.mrc", marc_record("L1", "Aag ka darya"), broken),
    )
    assert (job.rejected, job.withdrawn) == (1, 0)
    assert job.errors.get().local_id == "L2"
    assert not SourceRecord.objects.get(local_id="L2").withdrawn


def test_awkward_characters_survive_the_bulk_load(library, tmp_path):
    path = tmp_path / "awkward.csv"
    path.write_text(
        'id,title,call number,barcode\nA\\1,"Tab\there, back\\slash \\N and\nnewline",PK\\6199\t.H9,اردو-۱۲\n',
        encoding="utf-8",
    )
    job = services.import_path(actor=None, library=library, path=path)
    assert job.created == 1, job.error
    source = SourceRecord.objects.get()
    assert source.local_id == "A\\1"
    assert source.data["title"] == "Tab here, back\\slash \\N and newline"
    holding = source.holdings.get()
    assert (holding.call_number, holding.barcode) == ("PK\\6199 .H9", "اردو-۱۲")
    assert bytes(source.marc).startswith(b"0") and source.checksum


def test_awkward_characters_survive_the_staged_record_writes(library, other_library, tmp_path):
    # Given a record whose author and title hold quotes, braces, commas, backslashes and "NULL"
    author = 'O"Brien, {J.} \\ NULL'
    title = 'Sh\\er "o" {Sukhan}, NULL\tvol'
    record = marc_record("Q1", title, isbn="9789694070001", author=author)
    # When one library creates the record and another merges into it (insert, then update)
    first = services.import_path(actor=None, library=library, path=write(tmp_path, "a.mrc", record))
    created = BibRecord.objects.get()
    created_values = (created.title, created.authors)
    second = services.import_path(actor=None, library=other_library, path=write(tmp_path, "b.mrc", record))
    # Then both writes keep the text exactly
    assert (first.created, second.merged) == (1, 1)
    merged = BibRecord.objects.get()
    assert created_values == (merged.title, merged.authors)
    assert merged.authors == [SourceRecord.objects.filter(library=library).get().data["authors"][0]]
    assert '"Brien' in merged.authors[0] and "{J.}" in merged.authors[0] and "\\" in merged.authors[0]
    assert sorted(merged.library_ids) == sorted([library.pk, other_library.pk])


def _bib_snapshot():
    return list(
        BibRecord.objects.order_by("pk").values_list(
            "pk",
            *services.BIB_FIELDS,
            "match_key",
            "match_keys",
            "preferred_source_id",
            "preferred_richness",
            "search_document",
            "library_ids",
            "province_ids",
        )
    )


def test_records_joined_by_later_libraries_equal_a_full_recompute(library, other_library, tmp_path):
    from tests.factories import LibraryFactory

    # Given three libraries describing the same books, the later ones more or less fully
    third = LibraryFactory(code="PK-THIRD", name="Third University", city="Quetta", province="BA")
    plain = marc_record("P1", "Aag ka darya", year="1959", barcodes=("X1",))
    richer = marc_record("R1", "Aag ka darya", year="1959", barcodes=("Y1", "Y2", "Y3"))
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    services.import_path(actor=None, library=library, path=write(tmp_path, "p.mrc", plain))
    # When the other libraries' records join the stored ones (appended, or richer than them)
    services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    services.import_path(actor=None, library=other_library, path=write(tmp_path, "r.mrc", richer))
    services.import_path(actor=None, library=third, path=TRAJECT / "test_data.utf8.mrc")
    services.import_path(actor=None, library=third, path=write(tmp_path, "p3.mrc", plain))
    # Then every record is exactly what deriving it from all its sources gives
    assert BibRecord.objects.get(title="Aag ka darya").sources.count() == 3
    imported = _bib_snapshot()
    services.bib_records_recompute(bib_ids=BibRecord.objects.values_list("pk", flat=True))
    assert _bib_snapshot() == imported
    aag = BibRecord.objects.get(title="Aag ka darya")
    assert aag.preferred_source.local_id == "R1"


def test_a_record_whose_preferred_source_was_withdrawn_is_joined_as_a_full_recompute_gives(
    library, other_library, tmp_path
):
    from tests.factories import LibraryFactory

    third = LibraryFactory(code="PK-THIRD", name="Third University", city="Quetta", province="BA")
    # Given a merged record whose richest source (its preferred one) is withdrawn by --replace
    richest = marc_record(
        "R1", "Aag ka darya", year="1959", barcodes=("Y1", "Y2", "Y3"), subject="Urdu fiction"
    )
    plain = marc_record("P1", "Aag ka darya", year="1959", barcodes=("X1",))
    services.import_path(actor=None, library=library, path=write(tmp_path, "r.mrc", richest))
    services.import_path(actor=None, library=other_library, path=write(tmp_path, "p.mrc", plain))
    aag = BibRecord.objects.get(title="Aag ka darya")
    assert (aag.preferred_source.local_id, aag.preferred_richness) == ("R1", aag.preferred_source.richness)
    services.import_path(
        actor=None,
        library=library,
        replace=True,
        path=write(tmp_path, "other.mrc", marc_record("O1", "Udas naslen")),
    )
    aag.refresh_from_db()
    assert (aag.preferred_source.local_id, aag.preferred_richness) == ("P1", aag.preferred_source.richness)
    # When a third library's copy, richer than the plain one, joins it
    middle = marc_record("M1", "Aag ka darya", year="1959", barcodes=("Z1", "Z2"))
    services.import_path(actor=None, library=third, path=write(tmp_path, "m.mrc", middle))
    # Then the record is what deriving it from its live sources gives: the third copy preferred
    aag.refresh_from_db()
    assert (aag.preferred_source.local_id, aag.preferred_richness) == ("M1", aag.preferred_source.richness)
    imported = _bib_snapshot()
    services.bib_records_recompute(bib_ids=BibRecord.objects.values_list("pk", flat=True))
    assert _bib_snapshot() == imported


def test_a_joining_copy_that_fills_an_empty_field_is_searchable_by_it(library, other_library, tmp_path):
    # Given a record stored without a subject, and a plainer copy from another library with one
    fuller = marc_record("F1", "Aag ka darya", year="1959", barcodes=("A1", "A2", "A3"))
    plainer = marc_record("S1", "Aag ka darya", year="1959", barcodes=("B1",), subject="Partition fiction")
    services.import_path(actor=None, library=library, path=write(tmp_path, "f.mrc", fuller))
    # When the plainer copy joins it
    services.import_path(actor=None, library=other_library, path=write(tmp_path, "s.mrc", plainer))
    # Then the record takes the subject, and its search document has the subject's words
    aag = BibRecord.objects.get(title="Aag ka darya")
    assert aag.preferred_source.local_id == "F1" and aag.subjects == ["Partition fiction"]
    assert "'partition'" in str(aag.search_document)
    imported = _bib_snapshot()
    services.bib_records_recompute(bib_ids=[aag.pk])
    assert _bib_snapshot() == imported


def _match_key_rows() -> list[tuple[str, int]]:
    return sorted(MatchKey.objects.values_list("key", "bib_record_id"))


def _match_keys_of_records() -> list[tuple[str, int]]:
    return sorted(
        {(key, pk) for pk, keys in BibRecord.objects.values_list("pk", "match_keys") for key in keys}
    )


def test_the_match_key_table_follows_every_writer_of_records(library, other_library, tmp_path):
    # Imports: new records, and copies of other libraries joining them
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    services.import_path(
        actor=None, library=library, path=write(tmp_path, "a.mrc", marc_record("A1", "Raja Gidh"))
    )
    services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    assert _match_key_rows() == _match_keys_of_records()
    assert ("t:rajagidh", BibRecord.objects.get(title="Raja Gidh").pk) in _match_key_rows()
    # A re-import that retitles a record: its old record goes, with the old title's key
    services.import_path(
        actor=None, library=library, path=write(tmp_path, "b.mrc", marc_record("A1", "Aangan"))
    )
    keys = dict(_match_key_rows())
    assert "t:rajagidh" not in keys and "t:aangan" in keys
    assert _match_key_rows() == _match_keys_of_records()
    # A cataloguer's split and merge, a rematch, a record deleted through the ORM
    source = SourceRecord.objects.filter(library=other_library, bib_record__sources__library=library).first()
    old = source.bib_record
    new = services.bib_record_split(actor=None, source=source)
    assert _match_key_rows() == _match_keys_of_records()
    services.bib_record_merge(actor=None, target=old, other=new)
    services.catalogue_rematch()
    assert _match_key_rows() == _match_keys_of_records()
    lone = BibRecord.objects.get(title="Aangan")
    SourceRecord.objects.filter(bib_record=lone).update(bib_record=None)
    lone.delete()
    assert not any(pk == lone.pk for _key, pk in _match_key_rows())
    assert _match_key_rows() == _match_keys_of_records()


def test_a_later_copy_is_found_by_a_key_that_a_joining_copy_added(library, other_library, tmp_path):
    from tests.factories import LibraryFactory

    third = LibraryFactory(code="PK-THIRD", name="Third University", city="Quetta", province="BA")
    # Given a record without an ISBN, joined by a plainer copy that gives one
    first = marc_record("A1", "Aag ka darya", year="1959", notes=("Includes a glossary of Urdu terms.",))
    joining = marc_record("B1", "Aag ka darya", year="1959", isbn="9780198526636")
    services.import_path(actor=None, library=library, path=write(tmp_path, "a.mrc", first))
    job = services.import_path(actor=None, library=other_library, path=write(tmp_path, "b.mrc", joining))
    assert job.merged == 1
    record = BibRecord.objects.get(title="Aag ka darya")
    assert record.preferred_source.local_id == "A1" and record.isbns == ["9780198526636"]
    assert ("isbn:9780198526636", record.pk) in _match_key_rows()
    # When a third library's copy shares nothing with it but that ISBN (title misspelt,
    # author's name in another form)
    later = marc_record(
        "C1", "Aag ka dariya", year="1959", isbn="9780198526636", author="Haidar, Qurratulain"
    )
    job = services.import_path(actor=None, library=third, path=write(tmp_path, "c.mrc", later))
    # Then it is found by the key the joining copy added, and joins the same record
    assert job.merged == 1 and not BibRecord.objects.filter(title="Aag ka dariya").exists()
    assert record.sources.count() == 3


def test_an_import_teaches_did_you_mean_its_words_at_once(library, other_library, tmp_path):
    from catalogue.models import SearchTerm
    from catalogue.search import search_catalogue

    # given a fresh install: no vocabulary, no nightly run yet
    assert not SearchTerm.objects.exists()
    path = write(tmp_path, "a.mrc", marc_record("A1", "Irrigation in the Punjab"))
    services.import_path(actor=None, library=library, path=path)
    # then a misspelling is corrected at once
    assert search_catalogue(q="irigation").suggestion == "irrigation"
    # and a second library's copy (merged) keeps the count, which the nightly run corrects
    services.import_path(actor=None, library=other_library, path=path)
    assert SearchTerm.objects.get(word="irrigation").documents == 1
    # cross-script keys never become suggestions
    assert not SearchTerm.objects.filter(word__startswith="0").exists()


def _job_of(library, path, **fields) -> ImportJob:
    with open(path, "rb") as fh:
        job = services.import_job_create(actor=None, library=library, file=fh, name=path.name)
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return ImportJob.objects.get(pk=job.pk)


def test_the_sweep_resumes_a_running_job_whose_heartbeat_is_stale(
    library, settings, django_capture_on_commit_callbacks
):
    # given a job left "running" by a worker that died (its heartbeat a minute old)
    from django.utils import timezone

    settings.IMPORT_STALE_AFTER_SECONDS = 30
    old = timezone.now() - timezone.timedelta(seconds=60)
    job = _job_of(library, TRAJECT / "test_data.utf8.mrc", status="running", heartbeat_at=old)
    # and one that is alive
    alive = _job_of(library, TRAJECT / "george_eliot.marc", status="running", heartbeat_at=timezone.now())
    # when the sweep runs
    with django_capture_on_commit_callbacks(execute=True):
        resumed = services.import_jobs_resume_stale()
    # then only the dead one was queued again, and it finished
    assert resumed == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.created, job.merged) == (
        "done",
        29,
        1,
    )  # 30 records, 1 merged: LC's two records of Kubo's book are one
    assert ImportJob.objects.get(pk=alive.pk).status == "running"


def test_the_sweep_and_a_second_delivery_leave_a_job_whose_run_is_alive_alone(library, settings, monkeypatch):
    # given a running job whose heartbeat is stale but whose run still holds its lock
    import psycopg2
    from django.db import connection
    from django.utils import timezone

    settings.IMPORT_STALE_AFTER_SECONDS = 30
    old = timezone.now() - timezone.timedelta(seconds=60)
    job = _job_of(library, TRAJECT / "test_data.utf8.mrc", status="running", heartbeat_at=old)
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.IMPORT_JOB_LOCK_CLASS, job.pk])
        # when the sweep runs, and the job's task is delivered a second time
        assert services.import_jobs_resume_stale() == []
        assert not services.import_job_can_rerun(job)
        monkeypatch.setattr(jobs, "JOB_LOCK_WAIT", 0.0)
        services.import_job_run(job_id=job.pk)
    finally:
        other.close()
    # then nothing was queued or imported
    assert ImportJob.objects.get(pk=job.pk).status == "running" and not SourceRecord.objects.exists()
