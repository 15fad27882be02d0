"""Upload page, job page with report, API with library tokens, the import_records command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from catalogue.exceptions import ErrorCode
from catalogue.models import BibRecord, ImportJob, SourceRecord
from members.services import api_token_create
from tests.catalogue.conftest import TRAJECT

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def upload(name: str, path=None, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else path.read_bytes())


def test_librarian_uploads_and_sees_the_report(login, librarian, django_capture_on_commit_callbacks):
    client = login(librarian)
    data = (TRAJECT / "george_eliot.marc").read_bytes() + (TRAJECT / "bad_utf_byte.utf8.marc").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/new/", {"file": upload("mixed.mrc", content=data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    assert 'data-status="done"' in page.content.decode()
    assert "Invalid UTF-8" in page.content.decode()
    report = client.get(f"/imports/{job.pk}/errors.csv")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "file,record_number,local_id,reason"
    assert lines[1].startswith("mixed.mrc,2,,Invalid UTF-8")
    assert "Imports" in client.get("/imports/").content.decode()


FORMULA = '=HYPERLINK("http://x","y")'


def test_import_error_report_shows_a_formula_as_text(login, librarian, django_capture_on_commit_callbacks):
    # given a CSV whose record with no title has a spreadsheet formula as its local id,
    # and a bidirectional override in another record's id
    client = login(librarian)
    content = 'ID,Title\n"=HYPERLINK(""http://x"",""y"")",\nev\u202eil-2,\nok-3,A fine title\n'.encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/new/", {"file": upload("formula.csv", content=content)})
    job = ImportJob.objects.get()
    assert job.errors.count() == 2
    # when the librarian downloads the error report
    report = client.get(f"/imports/{job.pk}/errors.csv").content.decode("utf-8-sig")
    # then a spreadsheet shows the formula as text (a leading quote), and the number as a number
    rows = list(csv.reader(io.StringIO(report)))
    by_number = {row[1]: row for row in rows[1:]}
    assert by_number["1"][2] == "'" + FORMULA
    assert "\nformula.csv,1,\"'=HYPERLINK(" in report  # record_number unquoted: a number
    assert by_number["2"][2] == "evil-2"  # the override cannot reverse what follows it
    assert "\u202e" not in report


def test_running_job_page_polls_with_htmx(login, librarian, library):
    job = ImportJob.objects.create(library=library, original_name="x.mrc", format="marc", status="running")
    html = login(librarian).get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html


def test_other_librarys_job_is_hidden(login, other_librarian, library):
    job = ImportJob.objects.create(library=library, original_name="x.mrc", format="marc")
    assert login(other_librarian).get(f"/imports/{job.pk}/").status_code == 403


def test_patron_cannot_reach_the_upload_page(login, patron):
    assert login(patron).get("/imports/new/").status_code == 403


def test_too_big_upload_is_shown_on_the_form(login, librarian, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = login(librarian).post("/imports/new/", {"file": upload("big.mrc", content=b"0" * 60)})
    assert response.status_code == 200
    assert "big.mrc: the file is 60 bytes, over the limit of 50 bytes." in response.content.decode()


def test_api_import_with_library_token(
    library, library_admin, other_library, django_capture_on_commit_callbacks
):
    _token, key = api_token_create(actor=library_admin, library=library, name="Koha")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/", {"file": upload("lc.mrc", TRAJECT / "test_data.utf8.mrc")}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    status = client.get(f"/api/v1/imports/{job_id}/").json()
    assert (status["status"], status["created"], status["merged"], status["library"]) == (
        "done",
        29,
        1,
        library.code,
    )
    refused = client.post(
        "/api/v1/imports/",
        {"file": upload("lc.mrc", TRAJECT / "test_data.utf8.mrc"), "library": other_library.code},
    )
    assert refused.status_code == 403 and other_library.code in refused.json()["detail"]
    assert refused.json()["code"] == ErrorCode.NOT_YOUR_LIBRARY == "not_your_library"
    unknown = client.post(
        "/api/v1/imports/", {"file": upload("lc.mrc", TRAJECT / "george_eliot.marc"), "library": "PK-NOPE"}
    )
    assert unknown.status_code == 404 and "PK-NOPE" in unknown.json()["detail"]
    assert (unknown.json()["code"], unknown.json()["field"]) == ("unknown_library", "library")


def test_api_errors_carry_a_code_a_client_can_act_on(library, library_admin, settings):
    settings.IMPORT_MAX_BYTES = 50
    _token, key = api_token_create(actor=library_admin, library=library, name="Koha")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    too_big = client.post("/api/v1/imports/", {"file": upload("lc.mrc", TRAJECT / "test_data.utf8.mrc")})
    assert too_big.status_code == 400
    assert (too_big.json()["code"], too_big.json()["field"]) == (ErrorCode.FILE_TOO_BIG, "file")
    assert "lc.mrc" in too_big.json()["detail"]
    assert not ImportJob.objects.exists()


def test_api_refuses_anonymous():
    assert Client().post("/api/v1/imports/", {}).status_code in (401, 403)


def test_command_prints_json_and_imports(library, capsys):
    call_command("import_records", "--library", library.code, "--json", str(TRAJECT / "test_data.utf8.mrc"))
    summary = json.loads(capsys.readouterr().out)
    assert (summary["files"][0]["created"], summary["files"][0]["merged"]) == (
        29,
        1,
    )  # 30 records, 1 merged: LC's two records of Kubo's book are one
    assert (
        SourceRecord.objects.count() == 30 and BibRecord.objects.count() == 29
    )  # two LC records of one book


def test_command_fails_when_nothing_imported(library):
    with pytest.raises(CommandError, match="Nothing could be imported"):
        call_command("import_records", "--library", library.code, str(TRAJECT / "bad_utf_byte.utf8.marc"))


def test_command_refuses_unknown_library(db):
    with pytest.raises(CommandError, match="Unknown library code 'PK-NOPE'"):
        call_command("import_records", "--library", "PK-NOPE", str(TRAJECT / "george_eliot.marc"))


def test_split_and_merge_screen(login, librarian, library, other_library):
    call_command("import_records", "--library", library.code, str(TRAJECT / "test_data.utf8.mrc"))
    call_command("import_records", "--library", other_library.code, str(TRAJECT / "test_data.utf8.marc.xml"))
    source = SourceRecord.objects.filter(library=other_library).first()
    record = source.bib_record
    client = login(librarian)
    assert client.get(f"/cataloguing/records/{record.pk}/").status_code == 200
    response = client.post(f"/cataloguing/records/{record.pk}/split/{source.pk}/")
    source.refresh_from_db()
    assert source.bib_record_id != record.pk
    assert response["Location"] == f"/cataloguing/records/{source.bib_record_id}/"
    client.post(f"/cataloguing/records/{record.pk}/merge/", {"other": source.bib_record_id})
    source.refresh_from_db()
    assert source.bib_record_id == record.pk


def test_api_csv_with_column_mapping(library, library_admin, django_capture_on_commit_callbacks):
    _token, key = api_token_create(actor=library_admin, library=library, name="Sheets")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    sheet = upload("books.csv", content=b"Acc No,Book Name\n77,Tarikh-i Pakistan\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/", {"file": sheet, "mapping": '{"local_id": "Acc No", "title": "Book Name"}'}
        )
    assert response.status_code == 202, response.content
    assert client.get(response.json()["url"]).json()["created"] == 1
    assert SourceRecord.objects.get().local_id == "77"


def _stopped_job(library, *, status: str, minutes_ago: int = 30) -> ImportJob:
    """A job of the shared LC file (30 records), stopped before it stored any."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    job = ImportJob(library=library, original_name="lc.mrc", format="marc", status=status, processed=0)
    job.file.save("lc.mrc", ContentFile((TRAJECT / "test_data.utf8.mrc").read_bytes()), save=False)
    job.heartbeat_at = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    job.save()
    return job


@pytest.mark.parametrize(("status", "minutes_ago"), [("failed", 0), ("running", 30), ("queued", 30)])
def test_staff_run_a_failed_or_stale_import_again_from_its_page(
    login, librarian, library, status, minutes_ago, django_capture_on_commit_callbacks
):
    # given an import that failed, or whose worker stopped giving signs of life
    job = _stopped_job(library, status=status, minutes_ago=minutes_ago)
    client = login(librarian)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-rerun"' in page and f"/imports/{job.pk}/rerun/" in page
    # when a librarian of its library runs it again
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/rerun/")
    # then it is queued and runs to the end
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.processed, job.created, job.merged) == ("done", 30, 29, 1), job.error
    assert SourceRecord.objects.count() == 30
    assert 'data-testid="import-rerun"' not in client.get(f"/imports/{job.pk}/").content.decode()


def test_a_live_or_finished_import_cannot_be_run_again(login, librarian, library):
    running = _stopped_job(library, status="running", minutes_ago=0)
    done = _stopped_job(library, status="done", minutes_ago=30)
    client = login(librarian)
    for job in (running, done):
        assert 'data-testid="import-rerun"' not in client.get(f"/imports/{job.pk}/").content.decode()
        response = client.post(f"/imports/{job.pk}/rerun/", follow=True)
        assert response.status_code == 200
        assert ("finished" if job is done else "still running") in response.content.decode()
    assert [j.status for j in ImportJob.objects.order_by("pk")] == ["running", "done"]


def test_another_librarys_staff_cannot_run_an_import_again(login, other_librarian, patron, library):
    job = _stopped_job(library, status="failed")
    assert login(other_librarian).post(f"/imports/{job.pk}/rerun/").status_code == 403
    assert login(patron).post(f"/imports/{job.pk}/rerun/").status_code == 403
    assert Client().post(f"/imports/{job.pk}/rerun/").status_code == 302  # to the login page
    assert login(other_librarian).get(f"/imports/{job.pk}/rerun/").status_code == 405
    job.refresh_from_db()
    assert job.status == "failed" and not SourceRecord.objects.exists()
