"""A real Celery worker on Redis imports an uploaded file, and finishes one whose worker was killed."""

from __future__ import annotations

import os
import signal
import unicodedata

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from benchmarks.generate_catalogue import generate
from catalogue import services
from catalogue.models import BibRecord, Holding, ImportJob, SourceRecord
from tests.catalogue.conftest import TRAJECT
from tests.workers import forget_unacknowledged, solo_worker, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.shared_data]


@pytest.fixture
def worker(settings):
    with solo_worker(settings) as running:
        yield running


def test_uploaded_file_is_imported_by_the_worker_and_found_by_search(worker, librarian, login):
    # given a librarian's MARC file with 30 records (one of them "Pākistānī ʻaurat dorāhe par")
    client = login(librarian)
    # when the librarian uploads it (the request only stores the file and queues the job)
    with open(TRAJECT / "test_data.utf8.mrc", "rb") as upload:
        response = client.post(reverse("import-upload"), {"file": upload, "format": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.library == librarian.library and response.url == reverse("import-detail", args=[job.pk])
    # then the worker, not the request, runs the import to the end
    assert wait_for(
        timeout=60.0, predicate=lambda: ImportJob.objects.get(pk=job.pk).status in ("done", "failed")
    ), "the worker did not finish the import"
    job.refresh_from_db()
    assert (job.status, job.processed, job.created, job.merged, job.rejected) == ("done", 30, 29, 1, 0), (
        job.error
    )
    assert job.started_at and job.finished_at
    assert BibRecord.objects.count() == 29 and Holding.objects.count() == 30
    # and as soon as the job says done, search finds the records, folded as patrons type
    found = APIClient().get("/api/v1/records/", {"q": "pakistani aurat"}).json()
    assert found["count"] == 1
    # (stored as the record has it: letters and combining macrons)
    assert unicodedata.normalize("NFC", found["results"][0]["title"]) == "Pākistānī ʻaurat dorāhe par"
    libraries = {f["value"]: f["count"] for f in found["facets"]["library"]}
    assert libraries == {librarian.library.code: 1}
    # and the job's page shows the result to the librarian
    page = client.get(reverse("import-detail", args=[job.pk]))
    assert page.status_code == 200 and b"30" in page.content


def _job_of_generated_file(library, tmp_path) -> tuple[ImportJob, int]:
    """An import job for a generated file of some thousands of new records, and their number."""
    generate(12_000, 1, tmp_path / "catalogue")
    path = tmp_path / "catalogue" / "library-000.mrc"
    records = path.read_bytes().count(b"\x1d")
    with open(path, "rb") as fh:
        return services.import_job_create(actor=None, library=library, file=fh, name=path.name), records


def _assert_the_whole_file_imported(job: ImportJob, records: int) -> None:
    """Done, every record new and counted once, however many runs it took."""
    job.refresh_from_db()
    assert (job.status, job.error) == ("done", "")
    assert (job.processed, job.created, job.updated, job.unchanged, job.rejected) == (
        records,
        records,
        0,
        0,
        0,
    )
    assert SourceRecord.objects.count() == records
    assert BibRecord.objects.count() == records - job.merged


def test_a_job_whose_whole_worker_was_killed_resumes_and_counts_the_whole_file(settings, library, tmp_path):
    # given a file of some thousands of new records
    job, records = _job_of_generated_file(library, tmp_path)
    log = tmp_path / "worker.log"
    try:
        # and a worker (its own processes: worker, pool child, parsers) importing it,
        # with a heartbeat every half second
        with worker_process(settings, log, IMPORT_HEARTBEAT_SECONDS=0.5) as process:
            services.import_job_start(job=job)
            started = wait_for(
                timeout=120.0,
                interval=0.05,
                predicate=lambda: ImportJob.objects.get(pk=job.pk).processed >= 700,
            )
            assert started, log.read_text()[-3000:]
            # when the whole worker is killed mid-import
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        job.refresh_from_db()
        stored = SourceRecord.objects.count()
        assert job.status == "running" and 0 < job.processed == stored < records
        # (its progress stopped part way through the file, where the stored batches end)
        assert 0 < job.bytes_read < job.bytes_total and job.progress.percent < 100
        # then, once its heartbeat is stale, the sweep queues it again for a new worker
        settings.IMPORT_STALE_AFTER_SECONDS = 2
        with solo_worker(settings):
            assert wait_for(timeout=30.0, interval=0.5, predicate=lambda: services.import_jobs_resume_stale())
            assert wait_for(
                timeout=180.0, predicate=lambda: ImportJob.objects.get(pk=job.pk).status in ("done", "failed")
            ), "the new worker did not finish the import"
    finally:
        forget_unacknowledged()
    # which finishes it, with the counts of the whole file, the second run's rate counted
    # from where it started
    _assert_the_whole_file_imported(job, records)
    assert job.bytes_read == job.bytes_total and 0 < job.run_bytes_from < job.bytes_total
    assert Holding.objects.values("source").distinct().count() == records


def test_a_job_whose_worker_child_was_killed_is_redelivered_and_counts_the_whole_file(
    settings, library, tmp_path
):
    import psutil

    # given a file of some thousands of new records, imported by a prefork worker
    job, records = _job_of_generated_file(library, tmp_path)
    log = tmp_path / "worker.log"
    try:
        with worker_process(settings, log) as process:
            services.import_job_start(job=job)
            started = wait_for(
                timeout=120.0,
                interval=0.05,
                predicate=lambda: ImportJob.objects.get(pk=job.pk).processed >= 700,
            )
            assert started, log.read_text()[-3000:]
            # when the pool process running the task is killed (its parser processes follow it)
            (child,) = psutil.Process(process.pid).children()
            child.kill()
            # then the worker hands the task to a new pool process, which finishes the job
            assert wait_for(
                timeout=180.0, predicate=lambda: ImportJob.objects.get(pk=job.pk).status in ("done", "failed")
            ), log.read_text()[-3000:]
    finally:
        forget_unacknowledged()
    # with the counts of the whole file
    _assert_the_whole_file_imported(job, records)
