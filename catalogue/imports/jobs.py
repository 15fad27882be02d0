"""An import job's life: the file checked and stored, the job run (or resumed after its
last committed batch) under its own advisory lock with a heartbeat, stale jobs queued
again, a failed one run again by its library's staff."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalogue.events import EventKind, catalogue_event_record
from catalogue.exceptions import (
    MSG_BAD_FORMAT,
    MSG_EMPTY_FILE,
    MSG_NO_SUCH_IMPORT,
    MSG_NOT_YOUR_LIBRARY,
    MSG_RERUN_ALIVE,
    MSG_RERUN_DONE,
    MSG_TOO_BIG,
    MSG_UNKNOWN_LIBRARY,
    ErrorCode,
    ImportRejected,
)
from catalogue.import_messages import ImportMessage
from catalogue.imports.derive import bib_records_recompute
from catalogue.imports.parsing import BATCH_SIZE, no_cyclic_gc, parsed_batches
from catalogue.imports.planning import run_batches
from catalogue.imports.writer import THIS_DATABASE, batch_plans, catalogue_lock
from catalogue.marc import FORMATS, FileRejected, detect_format
from catalogue.models import Holding, ImportJob, SourceRecord
from consortium.exceptions import Conflict, NotFound, PermissionDenied
from members.models import Library
from members.permissions import can

logger = logging.getLogger(__name__)


def library_by_code(code: str) -> Library:
    library = Library.objects.filter(code=code).first()
    if library is None:
        raise NotFound(
            MSG_UNKNOWN_LIBRARY.format(code=repr(code)), code=ErrorCode.UNKNOWN_LIBRARY, field="library"
        )
    return library


def import_job_create(
    *,
    actor: Any,
    library: Library,
    file: Any,
    name: str,
    fmt: str = "",
    replace: bool = False,
    options: dict | None = None,
) -> ImportJob:
    """Check and store an uploaded file as a queued job (the caller starts it)."""
    if actor is not None and not can(actor, "library.work", library):
        raise PermissionDenied(
            MSG_NOT_YOUR_LIBRARY.format(code=library.code), code=ErrorCode.NOT_YOUR_LIBRARY
        )
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size == 0:
        raise ImportRejected(MSG_EMPTY_FILE.format(name=name), code=ErrorCode.FILE_EMPTY, field="file")
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportRejected(
            MSG_TOO_BIG.format(name=name, size=size, limit=settings.IMPORT_MAX_BYTES),
            code=ErrorCode.FILE_TOO_BIG,
            field="file",
        )
    if not fmt:
        head = file.read(64)
        file.seek(0)
        fmt = detect_format(Path(name), head)
    if fmt not in FORMATS:
        raise ImportRejected(
            MSG_BAD_FORMAT.format(name=name, fmt=repr(fmt)), code=ErrorCode.UNKNOWN_FORMAT, field="format"
        )
    job = ImportJob(
        library=library,
        created_by=actor if getattr(actor, "pk", None) else None,
        original_name=name[:255],
        format=fmt,
        bytes_total=size,
        replace=replace,
        options=options or {},
    )
    job.file.save(Path(name).name or "upload", File(file), save=False)
    job.save()
    return job


def import_job_start(*, job: ImportJob) -> None:
    _queue(job.pk)


def import_job_run(*, job_id: int, processes: int | None = None) -> ImportJob:
    """Import a queued job's file, or go on with an interrupted one after its last committed
    batch (its counts and rejected records are kept: they are those of the whole job). Safe
    to run again, and twice at once: a second run while the first is alive does nothing."""
    with _job_lock(job_id) as mine:
        job = ImportJob.objects.select_related("library").get(pk=job_id)
        if job.status == ImportJob.Status.DONE:
            return job
        if not mine:
            logger.info("Import job %s is being run by another worker; this delivery ends", job_id)
            return job
        return _import_job_go_on(job, processes)


def _import_job_go_on(job: ImportJob, processes: int | None) -> ImportJob:
    # Each batch adds its counts and rejected records to the job in its own transaction,
    # so ``processed`` is the number of the file's last item whose batch was committed: a
    # run after a crash starts after it, and the job's counts stay those of the whole file
    # (reading it all again would count the first run's new records as unchanged).
    resume_after = job.processed
    now = timezone.now()
    path = Path(job.file.path)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        run_started_at=now,
        run_bytes_from=F("bytes_read"),
        run_records_from=F("processed"),
        bytes_total=path.stat().st_size,
        heartbeat_at=now,
        finished_at=None,
        error="",
        error_data={},
    )
    file_error, file_error_data = "", {}
    try:
        with no_cyclic_gc(), _Heartbeat(job.pk):
            run_batches(job, parsed_batches(path, job.format, job.options, processes, skip=resume_after))
            if job.replace:
                _withdraw_absent(job)
    except FileRejected as exc:
        message = exc.args[0]
        file_error = f"{job.original_name}: {message}"
        if isinstance(message, ImportMessage):
            file_error_data = message.as_data(file=job.original_name)
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        stopped = ImportMessage("internal_error", error=type(exc).__name__)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            error=f"{job.original_name}: {stopped}",
            error_data=stopped.as_data(file=job.original_name),
            finished_at=timezone.now(),
        )
        raise
    job.refresh_from_db()
    imported = job.imported
    if file_error and imported == 0:
        job.status = ImportJob.Status.FAILED
    elif imported == 0 and job.rejected:
        job.status = ImportJob.Status.FAILED
        if not file_error:
            nothing = ImportMessage("nothing_imported")
            file_error, file_error_data = (
                f"{job.original_name}: {nothing}",
                nothing.as_data(file=job.original_name),
            )
    else:
        job.status = ImportJob.Status.DONE
    job.error, job.error_data = file_error, file_error_data
    job.total = max(job.total, job.processed)
    job.bytes_read = job.bytes_total  # read to its end, or to where it could not be read
    job.finished_at = timezone.now()
    if imported:
        from catalogue.search import vocabulary_learn  # (search builds on the catalogue's tables)

        vocabulary_learn(job_id=job.pk)
    job.save(update_fields=["status", "error", "error_data", "total", "bytes_read", "finished_at"])
    return job


# An import job's own advisory lock (two-key form: this class, the job's id), held by the
# session of the run that imports it: a second delivery of its task (the broker's, the
# stale-job sweep's, a librarian's "run again") finds it taken and ends; and a job whose
# lock is free has no live run, whatever its heartbeat says. A killed worker's sessions
# end with its sockets, and their locks with them.
IMPORT_JOB_LOCK_CLASS = 0x15_4A8
# How long a new run waits for the lock: a worker process killed mid-batch leaves its
# server session to notice the closed socket (at once when idle, at the end of the running
# statement otherwise, well under a second for a batch), and the task is redelivered at once.
JOB_LOCK_WAIT = 10.0
# pg_locks lists the locks of every database on the server; these queries look at this one.
_JOB_RUN_ALIVE_SQL = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted"  # noqa: S608 - constants
    f" AND {THIS_DATABASE} AND classid = %s AND objid = %s AND objsubid = 2)"
)


@contextmanager
def _job_lock(job_id: int) -> Iterator[bool]:
    """The job's lock for this session while the block runs (True), or False when another
    live session holds it for longer than JOB_LOCK_WAIT seconds."""
    deadline = time.monotonic() + JOB_LOCK_WAIT
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_JOB_LOCK_CLASS, job_id])
            mine = cursor.fetchone()[0]
        if mine or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    try:
        yield mine
    finally:
        if mine:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [IMPORT_JOB_LOCK_CLASS, job_id])
            except DatabaseError:
                logger.warning("Import job %s: lock not released (its session ends with it)", job_id)


def import_job_run_alive(job_id: int) -> bool:
    """Whether a live run holds the job (its session holds the job's lock)."""
    with connection.cursor() as cursor:
        cursor.execute(_JOB_RUN_ALIVE_SQL, [IMPORT_JOB_LOCK_CLASS, job_id])
        return cursor.fetchone()[0]


class _Heartbeat:
    """The job's heartbeat refreshed every IMPORT_HEARTBEAT_SECONDS by a thread with a
    connection of its own while the import runs, batches or not (waiting for the catalogue
    lock, reading past the batches a resumed run skips, withdrawing with --replace). Not
    inside a caller's transaction: its uncommitted update of the job row would block the
    thread's, and nobody else could see the job running anyway."""

    def __init__(self, job_id: int) -> None:
        self._job_id = job_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        interval = settings.IMPORT_HEARTBEAT_SECONDS
        if interval > 0 and not connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._beat, args=(interval,), daemon=True, name=f"import-heartbeat-{self._job_id}"
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self, interval: float) -> None:
        try:
            while not self._stop.wait(interval):
                try:
                    ImportJob.objects.filter(pk=self._job_id, status=ImportJob.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    # The server is away: the import itself fails or waits; beat again later.
                    logger.warning("Import job %s: heartbeat not written", self._job_id, exc_info=True)
                    connection.close()
        finally:
            connection.close()


def _stale_jobs(cutoff) -> Q:
    """Jobs queued or running with no sign of life since ``cutoff`` (heartbeat, or for a
    job never started its upload)."""
    return Q(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )


def _stale_cutoff():
    return timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)


# Jobs re-queued per sweep: a dead worker leaves at most as many running imports as it
# ran at once (its concurrency, a few); the next minute's sweep takes any left over.
RESUME_BATCH = 50


def import_jobs_resume_stale() -> list[int]:
    """Queue again every running job whose worker died (heartbeat stale, lock free); it
    resumes after its last committed batch. Their heartbeat is set now, so a job whose new
    task is still waiting in the queue is queued again only after another stale period."""
    with transaction.atomic():
        candidates = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(_stale_jobs(_stale_cutoff()), status=ImportJob.Status.RUNNING)
            .order_by("pk")
            .values_list("pk", flat=True)[:RESUME_BATCH]
        )
        dead = [pk for pk in candidates if not import_job_run_alive(pk)]
        if dead:
            ImportJob.objects.filter(pk__in=dead).update(heartbeat_at=timezone.now())
            for pk in dead:
                logger.warning("Import job %s lost its worker; queued again to resume", pk)
                _queue(pk)
    return dead


def import_job_can_rerun(job: ImportJob) -> bool:
    """A failed job, or one queued or running with no sign of life for
    IMPORT_STALE_AFTER_SECONDS and no live run, may be run again by its library's staff."""
    if job.status == ImportJob.Status.FAILED:
        return True
    if job.status == ImportJob.Status.DONE:
        return False
    stale = ImportJob.objects.filter(_stale_jobs(_stale_cutoff()), pk=job.pk).exists()
    return stale and not import_job_run_alive(job.pk)


def import_job_rerun(*, actor: Any, job_id: int) -> ImportJob:
    """Queue a failed or stale job again (it resumes after its last committed batch)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("library").filter(pk=job_id).first()
        if job is None:
            raise NotFound(MSG_NO_SUCH_IMPORT, code=ErrorCode.IMPORT_NOT_FOUND)
        if not can(actor, "library.work", job.library):
            raise PermissionDenied(
                MSG_NOT_YOUR_LIBRARY.format(code=job.library.code), code=ErrorCode.NOT_YOUR_LIBRARY
            )
        if job.status == ImportJob.Status.DONE:
            raise Conflict(str(MSG_RERUN_DONE), code=ErrorCode.IMPORT_FINISHED)
        if not import_job_can_rerun(job):
            raise Conflict(str(MSG_RERUN_ALIVE), code=ErrorCode.IMPORT_STILL_RUNNING)
        job.status = ImportJob.Status.QUEUED
        job.heartbeat_at = timezone.now()
        job.error = ""
        job.save(update_fields=["status", "heartbeat_at", "error"])
        catalogue_event_record(
            kind=EventKind.IMPORT_RERUN, actor=actor, data={"job": job.pk, "processed": job.processed}
        )
        logger.info("Import job %s queued again by %s", job.pk, getattr(actor, "pk", None))
        _queue(job.pk)
    return job


def _queue(job_id: int) -> None:
    from catalogue.tasks import import_file_task

    import_file_task.delay_on_commit(job_id=job_id)


def _withdraw_absent(job: ImportJob) -> None:
    """--replace: this library's records absent from the file are withdrawn, in batches."""
    while True:
        with transaction.atomic():
            catalogue_lock()
            batch_plans()
            ids = list(
                SourceRecord.objects.filter(library=job.library, withdrawn=False)
                .exclude(last_job=job)
                .values_list("id", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return
            bibs = set(SourceRecord.objects.filter(pk__in=ids).values_list("bib_record_id", flat=True))
            SourceRecord.objects.filter(pk__in=ids).update(withdrawn=True, updated_at=timezone.now())
            Holding.objects.filter(source_id__in=ids).update(
                status=Holding.Status.WITHDRAWN, updated_at=timezone.now()
            )
            bib_records_recompute(bib_ids=bibs)
            ImportJob.objects.filter(pk=job.pk).update(withdrawn=F("withdrawn") + len(ids))


def import_path(
    *,
    actor: Any,
    library: Library,
    path: Path,
    fmt: str = "",
    replace: bool = False,
    options: dict | None = None,
    processes: int | None = None,
) -> ImportJob:
    """Create and run a job for a file on disk (management command, demo data)."""
    with open(path, "rb") as fh:
        job = import_job_create(
            actor=actor, library=library, file=fh, name=path.name, fmt=fmt, replace=replace, options=options
        )
    return import_job_run(job_id=job.pk, processes=processes)
