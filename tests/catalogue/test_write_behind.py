"""Batches written behind (catalogue.imports.writer.WriteBehind): each batch is written from a
thread with its own connection while the next one is matched. These tests commit (the
writer's connection cannot see a test's open transaction) and compare with batches
matched and written in turn."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from django.db import connection, transaction
from pymarc import MARCReader, Record

from benchmarks.generate_catalogue import generate
from catalogue import services
from catalogue.imports import derive, parsing, planning, writer
from catalogue.models import BibRecord, Holding, ImportJob, SourceRecord
from members.models import Library
from tests.catalogue.test_services import marc_record, write
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROVINCES = ["PB", "SD", "KP", "BA", "IS"]


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few records, so that a small file spans many of them."""
    monkeypatch.setattr(parsing, "BATCH_SIZE", 23)
    monkeypatch.setattr(parsing, "FIRST_BATCH_SIZE", 7)


@pytest.fixture
def slow_writer(monkeypatch):
    """Each batch's writes start late, so that the next batch is always planned while the
    one before it is not yet committed."""
    real = writer.WriteBehind._write

    def late(write):
        time.sleep(0.03)
        real(write)

    monkeypatch.setattr(writer.WriteBehind, "_write", staticmethod(late))


@pytest.fixture(scope="module")
def catalogue_files(tmp_path_factory):
    """A synthetic catalogue of five libraries sharing most titles (the benchmark's)."""
    out = tmp_path_factory.mktemp("catalogue")
    generate(900, 5, out)
    return sorted(out.glob("library-*.mrc"))


def _libraries(n: int) -> list[Library]:
    return [
        LibraryFactory(code=f"PK-WB{i}", name=f"Write-behind University {i}", province=PROVINCES[i % 5])
        for i in range(n)
    ]


def _changed(path) -> list[Record]:
    """The file's records, every third with another title and every fifth with its
    holdings gone (so records move between BibRecords and holdings are withdrawn)."""
    records = list(MARCReader(path.read_bytes(), to_unicode=True, force_utf8=True))
    for n, record in enumerate(records):
        if n % 3 == 0:
            record["245"]["a"] = f"Retitled work {n // 6}"
        if n % 5 == 0:
            for field in record.get_fields("852", "952"):
                record.remove_field(field)
    return records


def _catalogue() -> dict:
    """The whole catalogue, independent of ids: each BibRecord by the (library, local id)
    of its sources, with its columns, preferred source and holdings."""
    sources = {s.pk: (s.library.code, s.local_id) for s in SourceRecord.objects.select_related("library")}
    groups: dict[int, list] = {}
    for s in SourceRecord.objects.all():
        groups.setdefault(s.bib_record_id, []).append(sources[s.pk])
    holdings: dict[int, list] = {}
    for h in Holding.objects.all():
        holdings.setdefault(h.bib_record_id, []).append((sources[h.source_id], h.holding_key, h.status))
    result = {}
    for bib in BibRecord.objects.all():
        key = tuple(sorted(groups.get(bib.pk, [])))
        result[key] = (
            [getattr(bib, c) for c in services.BIB_FIELDS],
            bib.match_key,
            bib.match_keys,
            sorted(bib.library_ids),
            sorted(bib.province_ids),
            sources.get(bib.preferred_source_id),
            bib.preferred_richness,
            str(bib.search_document),
            sorted(holdings.get(bib.pk, [])),
        )
    return result


def _empty_catalogue() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalogue_importrecorderror, catalogue_holding, catalogue_sourcerecord,"
            " catalogue_bibrecord, catalogue_importjob CASCADE"
        )


def _import_all(libraries, files, processes=1):
    jobs = [
        services.import_path(actor=None, library=library, path=path, processes=processes)
        for library, path in zip(libraries, files, strict=True)
    ]
    assert all(job.status == "done" for job in jobs), [(j.status, j.error) for j in jobs]
    return jobs


def test_written_behind_the_catalogue_is_the_one_written_in_turn(
    catalogue_files, small_batches, slow_writer, settings, tmp_path
):
    # Given five libraries' files in batches of 23, imported twice over: the second time
    # with some records changed, so that later batches move records between BibRecords
    libraries = _libraries(len(catalogue_files))
    first = catalogue_files[0]
    changed = write(tmp_path, "changed.mrc", *_changed(first))
    results, counts = {}, {}
    for behind in (False, True):
        settings.IMPORT_WRITE_BEHIND = behind
        _empty_catalogue()
        jobs = _import_all(libraries, catalogue_files)
        jobs += _import_all(libraries[:1], [changed])
        jobs += _import_all(libraries[1:2], [catalogue_files[1]])  # unchanged: nothing to write
        results[behind] = _catalogue()
        counts[behind] = [(j.created, j.updated, j.merged, j.unchanged, j.rejected) for j in jobs]
    # Then writing behind gives exactly the same records, sources, holdings and counts
    assert counts[True] == counts[False]
    assert counts[True][-2][1] > 0 and counts[True][-1][3] > 0
    assert len(results[True]) == BibRecord.objects.count() < SourceRecord.objects.count()
    assert results[True] == results[False]


def test_a_record_repeated_in_a_later_batch_of_the_file_updates_the_first(
    small_batches, slow_writer, settings, tmp_path
):
    # Given a file whose last record repeats the first one's local id with a new title
    settings.IMPORT_WRITE_BEHIND = True
    (library,) = _libraries(1)
    records = [marc_record(f"L{i}", f"Distinct title {i}", barcodes=(f"L{i}",)) for i in range(40)]
    path = write(
        tmp_path,
        "repeat.mrc",
        *records,
        marc_record("L0", "Distinct title 0", barcodes=("L0",), notes=("second copy",)),
    )
    # When it is imported with batches written behind
    job = services.import_path(actor=None, library=library, path=path)
    # Then the repeat updated the record written a few batches before, as in turn
    assert (job.status, job.created, job.updated) == ("done", 40, 1)
    assert SourceRecord.objects.count() == 40 == BibRecord.objects.count()
    assert "second copy" in bytes(SourceRecord.objects.get(local_id="L0").marc).decode()


def test_a_title_split_over_two_batches_of_one_file_is_one_record(
    small_batches, slow_writer, settings, tmp_path
):
    # Given one library's file with two copies of a title, 20 records apart (two batches)
    settings.IMPORT_WRITE_BEHIND = True
    (library,) = _libraries(1)
    # (the second copy richer, the first with a subject of its own)
    records = [
        marc_record(f"L{i}", f"Distinct title number {i}", year=str(1950 + i), barcodes=(f"L{i}",))
        for i in range(30)
    ]
    records[3] = marc_record(
        "L3", "Distinct title number 3", year="1953", barcodes=("L3",), subject="Urdu fiction"
    )
    second = marc_record(
        "COPY2",
        "Distinct title number 3",
        year="1953",
        barcodes=("COPY2",),
        notes=("Signed by the author.", "Gift."),
    )
    records.insert(25, second)
    job = services.import_path(actor=None, library=library, path=write(tmp_path, "copies.mrc", *records))
    # Then the second copy joined the record the first one made (not yet committed then),
    # and the record is derived from both: the richer copy preferred, the subject kept
    assert (job.status, job.created, job.merged) == ("done", 30, 1)
    bib = BibRecord.objects.get(title="Distinct title number 3")
    assert sorted(bib.sources.values_list("local_id", flat=True)) == ["COPY2", "L3"]
    assert Holding.objects.filter(bib_record=bib).count() == 2
    assert bib.preferred_source.local_id == "COPY2" and bib.subjects == ["Urdu fiction"]


def test_other_catalogue_writers_get_their_turn_during_a_long_import(
    catalogue_files, small_batches, settings, monkeypatch
):
    # Given an import that holds the catalogue lock for turns of no time at all
    settings.IMPORT_WRITE_BEHIND = True
    monkeypatch.setattr(writer.WriteBehind, "TURN", 0.0)
    (library,) = _libraries(1)
    got_lock_after: list[int] = []
    started = threading.Event()
    real = planning.plan_batch

    def watched(job, results, **kwargs):
        if ImportJob.objects.get(pk=job.pk).processed > 0:
            started.set()  # batches are committed: the import holds the lock
        return real(job, results, **kwargs)

    def cataloguer():
        # A cataloguer's split takes the same lock, in a transaction of its own.
        started.wait(30)
        try:
            with transaction.atomic():
                writer.catalogue_lock()
                got_lock_after.append(ImportJob.objects.get().processed)
        finally:
            connection.close()

    monkeypatch.setattr(planning, "plan_batch", watched)
    other = threading.Thread(target=cataloguer)
    other.start()
    job = services.import_path(actor=None, library=library, path=catalogue_files[0])
    other.join(30)
    # Then the cataloguer got the lock while the import was still under way
    assert job.status == "done"
    assert got_lock_after and 0 < got_lock_after[0] < job.processed


def test_a_failed_write_leaves_whole_batches_and_the_import_can_be_run_again(
    catalogue_files, small_batches, settings, monkeypatch
):
    # Given batches written behind, the fourth of which fails in the server's hands
    settings.IMPORT_WRITE_BEHIND = True
    (library,) = _libraries(1)
    real = derive.recompute_write
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        real(*args)

    monkeypatch.setattr(derive, "recompute_write", failing)
    with open(catalogue_files[0], "rb") as fh:
        job = services.import_job_create(actor=None, library=library, file=fh, name="library.mrc")
    with pytest.raises(Exception, match="division by zero"):
        services.import_job_run(job_id=job.pk, processes=1)
    # Then the job failed, three whole batches are stored (7 + 14 + 23 records) and no more
    job.refresh_from_db()
    assert job.status == "failed" and "run it again" in job.error
    assert SourceRecord.objects.count() == 44 == Holding.objects.values("source").distinct().count()
    assert not BibRecord.objects.filter(sources__isnull=True).exists()
    # And running it again finishes the rest without duplicating anything, and counts
    # what the whole job did (the first run's new records are not "unchanged")
    monkeypatch.setattr(derive, "recompute_write", real)
    job = services.import_job_run(job_id=job.pk, processes=1)
    assert (job.status, job.unchanged, job.created) == ("done", 0, job.processed)
    assert SourceRecord.objects.count() == job.processed == catalogue_files[0].read_bytes().count(b"\x1d")


def test_the_writer_connection_and_lock_are_gone_after_the_import(catalogue_files, small_batches, settings):
    settings.IMPORT_WRITE_BEHIND = True
    (library,) = _libraries(1)
    before = set(threading.enumerate())  # (threads of earlier tests may end meanwhile)
    switch = sys.getswitchinterval()
    services.import_path(actor=None, library=library, path=catalogue_files[0])
    # The interpreter's switch interval, shortened for the writer thread, is put back.
    assert sys.getswitchinterval() == switch
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(threading.enumerate()) - before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [writer.IMPORT_LOCK],
        )
        assert cursor.fetchone()[0] == 0
