"""An import's progress against a known total: the bytes of its file read, the records a
second of this run, and the time left, on the job's page (both languages) and in the API."""

from __future__ import annotations

import csv
from pathlib import Path

import pymarc
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from benchmarks.generate_catalogue import generate
from catalogue import services
from catalogue.imports import parsing
from catalogue.models import ImportJob
from members.services import api_token_create
from tests.desk.factories import ImportJobFactory, running_import


@pytest.fixture
def still_clock():
    """The clock held still: a job's rate is its records over the seconds since its run
    began, so a page rendered a moment later on a busy machine would show another figure."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


# Not a whole number of batches (100, 200, 400, 800, 1,000): the last one ends the file.
RECORDS = 2_300


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The same generated records as ISO 2709, MARCXML and CSV."""
    out = tmp_path_factory.mktemp("progress")
    generate(RECORDS, 1, out)
    marc = out / "library-000.mrc"
    xml, table = out / "records.xml", out / "records.csv"
    writer = pymarc.XMLWriter(open(xml, "wb"))  # noqa: SIM115 - closed by writer.close()
    with open(marc, "rb") as fh, open(table, "w", newline="", encoding="utf-8") as rows:
        out_csv = csv.writer(rows)
        out_csv.writerow(["id", "title", "author", "year"])
        for record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
            writer.write(record)
            out_csv.writerow([record["001"].data, record.title or "Untitled", record.author or "", "2001"])
    writer.close()
    return {"marc": marc, "marcxml": xml, "csv": table}


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("fmt", ["marc", "marcxml", "csv"])
def test_each_batch_says_how_far_into_the_file_it_goes(files, fmt, processes):
    path = files[fmt]
    size = path.stat().st_size
    batches = list(parsing.parsed_batches(path, fmt, {}, processes))
    ends = [batch.end for batch in batches]
    assert sum(len(batch) for batch in batches) == RECORDS
    # every batch further than the one before, the first a few percent in, the last at the end
    assert ends == sorted(set(ends)), ends
    assert 0 < ends[0] < size * 0.1
    assert ends[-1] == size


@pytest.mark.parametrize("fmt", ["marc", "marcxml", "csv"])
def test_a_resumed_run_goes_on_from_where_the_stored_batches_end(files, fmt):
    path = files[fmt]
    whole = [batch.end for batch in parsing.parsed_batches(path, fmt, {}, 1)]
    # (100 + 200 + 400 records: the first three batches stored before the worker died)
    resumed = [batch.end for batch in parsing.parsed_batches(path, fmt, {}, 1, skip=700)]
    assert whole[2] < resumed[0] < whole[3]
    assert resumed[-1] == path.stat().st_size


@pytest.mark.django_db
def test_a_finished_job_has_read_its_whole_file(files, library):
    with open(files["marc"], "rb") as fh:
        job = services.import_job_create(actor=None, library=library, file=fh, name="books.mrc")
    # queued: the file's size is known from the upload
    assert job.bytes_total == files["marc"].stat().st_size and job.bytes_read == 0
    job = services.import_job_run(job_id=job.pk, processes=1)
    assert (job.status, job.processed) == ("done", RECORDS)
    assert job.bytes_read == job.bytes_total == files["marc"].stat().st_size
    assert job.run_started_at is not None and job.run_bytes_from == 0


@pytest.mark.django_db
def test_the_job_page_shows_the_share_read_the_rate_and_the_time_left(librarian, login, still_clock):
    # 1 MB of 4 MB and 2,000 records in 50 s: 40 records and 20 kB a second, 150 s to go
    job = running_import(librarian.library, elapsed=50)
    page = login(librarian).get(reverse("import-detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = " ".join(page.content.decode().split())  # (no-break spaces made plain too)
    assert '<progress class="import-progress mb-2" max="4000000" value="1000000"' in text
    assert "976.6 KB of 3.8 MB read (25%)" in text
    assert "2000 records" in text and "40 records a second" in text
    assert "about 2 minutes left" in text


@pytest.mark.django_db
def test_a_resumed_run_counts_its_rate_from_where_it_started(librarian, login, still_clock):
    # the first run stored 2,000 records (1 MB); this one 1,000 more (0.5 MB) in 10 s
    job = running_import(
        librarian.library,
        elapsed=10,
        read=1_500_000,
        records=3_000,
        run_bytes_from=1_000_000,
        run_records_from=2_000,
    )
    assert (job.progress.percent, job.progress.records_per_second, job.progress.seconds_left) == (37, 100, 50)
    page = login(librarian).get(reverse("import-detail", args=[job.pk]))
    text = " ".join(page.content.decode().split())
    assert "100 records a second" in text and "less than a minute left" in text


@pytest.mark.django_db
def test_the_job_page_says_what_it_waits_for_before_the_first_batch(librarian, login, still_clock):
    client = login(librarian)
    queued = ImportJobFactory(library=librarian.library, status=ImportJob.Status.QUEUED, bytes_total=2_048)
    text = " ".join(client.get(reverse("import-detail", args=[queued.pk])).content.decode().split())
    assert "Waiting for a worker to start it. File size: 2.0 KB." in text
    starting = running_import(librarian.library, elapsed=1, read=0, records=0)
    text = " ".join(client.get(reverse("import-detail", args=[starting.pk])).content.decode().split())
    assert "Reading the first records." in text and "records a second" not in text


@pytest.mark.django_db
def test_the_progress_is_said_in_urdu(librarian, login, still_clock):
    job = running_import(librarian.library, elapsed=50)
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    text = " ".join(client.get(reverse("import-detail", args=[job.pk])).content.decode().split())
    assert "فائل کا پڑھا گیا حصہ" in text  # the bar's name
    assert "976.6 KB پڑھا گیا" in text and "40 ریکارڈ فی سیکنڈ" in text
    assert "تقریباً 2 منٹ باقی" in text  # (Django's own Urdu has no minutes)
    assert "records a second" not in text and " left" not in text


@pytest.mark.django_db
def test_the_api_gives_the_progress_of_a_running_job_only(library, library_admin, still_clock):
    running = running_import(library, elapsed=50)
    done = ImportJobFactory(library=library, bytes_total=10, bytes_read=10)
    _token, key = api_token_create(actor=library_admin, library=library, name="Koha")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    body = client.get(f"/api/v1/imports/{running.pk}/").json()
    assert (body["bytes_total"], body["bytes_read"]) == (4_000_000, 1_000_000)
    assert body["progress"] == {"percent": 25, "records_per_second": 40, "seconds_left": 150}
    assert client.get(f"/api/v1/imports/{done.pk}/").json()["progress"] is None
