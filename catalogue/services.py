"""Writes of the union catalogue: importing files, merging, splitting, rematching.

One code path for the upload page, the API and ``manage.py import_records``:
``import_job_create`` checks and stores the file and the job; ``import_job_run`` reads it
(from the Celery task "catalogue.import_file", or directly from the command).

How an import stays fast and safe (PERFORMANCE.md):
* records are parsed (well-formed UTF-8 MARC by catalogue.marc's lean decoder, the rest
  by pymarc; and their match keys, search texts and their own columns in COPY text) in
  a pool of parser processes, also inside Celery's prefork workers, up to PARSE_AHEAD
  batches ahead of the main process at a lower priority; a file's first batches are
  small and double up to BATCH_SIZE so that writing starts early and never waits long
  for the next plan. The main process pauses the cyclic garbage collector for the job
  (_no_cyclic_gc);
* each batch of BATCH_SIZE records is one transaction: one query finds the library's
  existing source records, one query finds every match candidate, source records and
  holdings are loaded with COPY, new BibRecords are inserted complete (ids taken from the
  sequences first), and touched BibRecords are rewritten by ONE UPDATE that also sets the
  search document and the holding arrays (same results as catalogue.indexing); both go
  through a staging table loaded with COPY. A record that only gains new sources is
  merged into its stored fields (equal to a full recompute: sources merge in id order);
  others are derived again from all their sources;
* each batch is planned (its reads and matching) by the main thread and written, in one
  transaction, by a writer thread with a connection of its own while the next batch is
  planned (_WriteBehind): the next plan reads what is committed and takes what the batch
  being written stores from memory (_Stored). The writer holds the catalogue lock for
  the import and hands it to a writer waiting for it every 2 seconds; inside a caller's
  transaction batches are planned and written in turn;
* candidates are looked up in the match-key table's btree, a batch's keys in one scan
  (_CANDIDATES_SQL, catalogue.models.MatchKey); a
  record that only gains sources gets its holding arrays from its stored ones and the
  new library's, compares the new sources with the richness of its preferred source
  kept on the record, and keeps its search document when its described fields stay;
* batch statements are planned for index lookups with JIT off (_batch_plans): during a
  large import the new tables have no statistics yet (nor has the staging table ever:
  its joins are written so that only key lookups are possible);
* a killed import leaves whole batches only, each with its counts and rejected records
  added to the job in its own transaction; running it again (the task redelivered, the
  stale-job sweep, a librarian's "Run again") goes on after the last committed batch, so
  the job's counts stay those of the whole file. Batches commit without waiting for the
  WAL flush for the same reason: what a server crash could lose (the last batches, with
  their counts) is redone by the re-run. A run holds its job's advisory lock (a second
  delivery while it is alive ends at once) and refreshes the job's heartbeat from a
  thread (_Heartbeat); a running job with a stale heartbeat and a free lock lost its
  worker and is queued again by import_jobs_resume_stale (consortium/schedules.py);
* batches take the catalogue's advisory lock (the writer for the session, in turn for
  the transaction) so two imports never create the same new record twice.
"""

from __future__ import annotations

import atexit
import gc
import io
import json
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from itertools import dropwhile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg2.extras import execute_values

from catalogue import indexing, matching
from catalogue.import_messages import MESSAGES, ImportMessage
from catalogue.indexing import PROVINCE_CODES
from catalogue.marc import FORMATS, FileRejected, detect_format, iter_items, process_item
from catalogue.models import BibRecord, Holding, ImportJob, ImportRecordError, MatchDecision, SourceRecord
from catalogue.tombstones import bib_records_tombstone
from consortium.exceptions import Conflict, DomainError, NotFound, PermissionDenied
from members.models import Library
from members.permissions import can

logger = logging.getLogger(__name__)

# 1,000 records: one candidate query and a few execute_values pages per batch, a
# transaction short enough (well under a second) to retry cheaply after a crash.
BATCH_SIZE = 1000
# A file's first batches are small, each twice the one before (100, 200, 400, 800, then
# BATCH_SIZE): writing starts early, and while a batch is written the next one, about as
# long to plan as that one to write, is planned. With one batch of 200 then 1,000, the
# writer waited some 100 ms a file for the second batch's plan (a 5,000-record library
# file took ~1.5 s).
FIRST_BATCH_SIZE = 100
# Parser processes work up to this many batches ahead of the batch being matched, at a
# lower priority: matching (the main thread) and writing (the server) wait for each
# other in turn, and parsing fills the cores they leave idle instead of taking CPU from
# them while both run. (One batch ahead at the same priority, the 2 cores were ~80% busy.)
PARSE_AHEAD = 4
PARSER_NICE = 10
IMPORT_LOCK = 0x15_4A7  # pg advisory lock id for catalogue writes
_WITHDRAWN = Holding.Status.WITHDRAWN.value

MSG_TOO_BIG = _("{name}: the file is {size} bytes, over the limit of {limit} bytes.")
MSG_EMPTY_FILE = _("{name}: the file is empty.")
MSG_UNKNOWN_LIBRARY = _("Unknown library code {code}.")
MSG_NOT_YOUR_LIBRARY = _("You may import records only for your own library ({code}).")
MSG_BAD_FORMAT = _("{name}: unknown format {fmt}; use one of marc, marcxml, csv.")
MSG_DUPLICATE_ID = MESSAGES["duplicate_id"]
MSG_NOT_MERGED = _("This source record is not part of a merged record.")
MSG_ONE_SOURCE = _("This record has only one source; there is nothing to split.")
MSG_MERGE_ITSELF = _("A record cannot be merged with itself.")
MSG_MERGE_NO_SOURCES = _("Both records need at least one source record to merge.")

BIB_FIELDS = (
    "title",
    "subtitle",
    "title_vernacular",
    "authors",
    "publisher",
    "place",
    "year",
    "edition",
    "volume",
    "language",
    "format",
    "isbns",
    "issns",
    "lccn",
    "oclc_numbers",
    "subjects",
    "summary",
)
_LIST_FIELDS = ("isbns", "issns", "oclc_numbers")
_CASTS = {
    "authors": "::text[]",
    "isbns": "::varchar[]",
    "issns": "::varchar[]",
    "oclc_numbers": "::varchar[]",
    "subjects": "::text[]",
    "year": "::smallint",
}


class ImportRejected(DomainError):
    """The whole file (or request) is refused before any record is read."""


# --- jobs ----------------------------------------------------------------------------


def library_by_code(code: str) -> Library:
    library = Library.objects.filter(code=code).first()
    if library is None:
        raise NotFound(MSG_UNKNOWN_LIBRARY.format(code=repr(code)), field="library")
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
        raise PermissionDenied(MSG_NOT_YOUR_LIBRARY.format(code=library.code))
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size == 0:
        raise ImportRejected(MSG_EMPTY_FILE.format(name=name), field="file")
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportRejected(
            MSG_TOO_BIG.format(name=name, size=size, limit=settings.IMPORT_MAX_BYTES), field="file"
        )
    if not fmt:
        head = file.read(64)
        file.seek(0)
        fmt = detect_format(Path(name), head)
    if fmt not in FORMATS:
        raise ImportRejected(MSG_BAD_FORMAT.format(name=name, fmt=repr(fmt)), field="format")
    job = ImportJob(
        library=library,
        created_by=actor if getattr(actor, "pk", None) else None,
        original_name=name[:255],
        format=fmt,
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
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        finished_at=None,
        error="",
        error_data={},
    )
    path = Path(job.file.path)
    file_error, file_error_data = "", {}
    try:
        with _no_cyclic_gc(), _Heartbeat(job.pk):
            _run_batches(job, _parsed_batches(path, job.format, job.options, processes, skip=resume_after))
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
    imported = job.created + job.updated + job.unchanged
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
    job.finished_at = timezone.now()
    if imported:
        from catalogue.search import vocabulary_learn  # (search builds on the catalogue's tables)

        vocabulary_learn(job_id=job.pk)
    job.save(update_fields=["status", "error", "error_data", "total", "finished_at"])
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
_THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
_JOB_RUN_ALIVE_SQL = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted"  # noqa: S608 - constants
    f" AND {_THIS_DATABASE} AND classid = %s AND objid = %s AND objsubid = 2)"
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


MSG_RERUN_DONE = _("This import has finished; it cannot be run again. Upload the file again instead.")
MSG_RERUN_ALIVE = _("This import is still running; it can be run again only if it fails or stops.")


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
            raise NotFound(_("No such import."))
        if not can(actor, "library.work", job.library):
            raise PermissionDenied(MSG_NOT_YOUR_LIBRARY.format(code=job.library.code))
        if job.status == ImportJob.Status.DONE:
            raise Conflict(str(MSG_RERUN_DONE))
        if not import_job_can_rerun(job):
            raise Conflict(str(MSG_RERUN_ALIVE))
        job.status = ImportJob.Status.QUEUED
        job.heartbeat_at = timezone.now()
        job.error = ""
        job.save(update_fields=["status", "heartbeat_at", "error"])
        logger.info("Import job %s queued again by %s", job.pk, getattr(actor, "pk", None))
        _queue(job.pk)
    return job


def _queue(job_id: int) -> None:
    from catalogue.tasks import import_file_task

    import_file_task.delay_on_commit(job_id=job_id)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for the length of an import. Each batch keeps
    some 100,000 objects alive (records, candidates), so the collector ran full passes
    over the whole heap again and again: at 100k records 27 full and 300 middle
    collections took 2.8 CPU-seconds of the main process and found 700 objects in all
    (import data has no reference cycles; refcounting frees it). Restored after; no
    collection forced then: a full pass costs 50-100 ms, a small library's whole file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _process(item: tuple) -> dict:
    """Parse and extract one record, compute its match keys, and render its own columns in
    COPY text (in a parser process: the main process only adds ids to these lines)."""
    result = process_item(item)
    if "fields" in result:
        fields = result["fields"]
        keys = matching.block_keys(fields)
        result["keys"] = keys
        # _SOURCE_COPY_COLUMNS up to richness; the marc bytes travel only in this form.
        result["source_copy"] = _copy_line(
            (
                result["local_id"],
                result.pop("marc"),
                result["source_format"],
                result["checksum"],
                json.dumps(fields, ensure_ascii=False),
                result["richness"],
            )
        )
        # _STAGE_COLUMNS up to dd: this record as a new BibRecord of its own (the usual case).
        result["bib_copy"] = _copy_line(
            (*_bib_values(fields), matching.match_key(fields), keys, *_document_parts(fields))
        )
        keyed = _holding_rows(result.pop("holdings"))
        result["holdings"] = keyed
        result["holding_copy"] = [
            _copy_line(
                (
                    key,
                    h["call_number"],
                    h["location"],
                    h["barcode"],
                    h["item_count"],
                    h["lendable"],
                    h["status"],
                )
            )
            for key, h in keyed
        ]
        result["held"] = any(h["status"] != _WITHDRAWN for _key, h in keyed)
    return result


def _parsed_batches(
    path: Path, fmt: str, options: dict, processes: int | None, *, skip: int = 0
) -> Iterator[list[dict]]:
    """Batches of processed records after the first ``skip`` items (a resumed job's
    committed ones, read but not parsed again); a pool parses the next batches while we
    write this one."""
    items = iter_items(path, fmt, options)
    if skip:
        items = dropwhile(lambda item: item[1] <= skip, items)
    processes = settings.IMPORT_PARSE_PROCESSES if processes is None else processes
    failure: FileRejected | None = None

    size = 0

    def take() -> list:
        """The next batch; a file error ends the file but keeps the records read before it.
        The first batches are small and double (FIRST_BATCH_SIZE) up to BATCH_SIZE."""
        nonlocal failure, size
        size = min(size * 2 if size else FIRST_BATCH_SIZE, BATCH_SIZE)
        batch: list = []
        if failure is None:
            try:
                for item in items:
                    batch.append(item)
                    if len(batch) >= size:
                        break
            except FileRejected as exc:
                failure = exc
        return batch

    if processes <= 1:
        while batch := take():
            yield [_process(item) for item in batch]
        if failure is not None:
            raise failure
        return
    pool = _parser_pool(processes)
    ahead: deque[list[Future]] = deque()
    try:
        while True:
            while len(ahead) < PARSE_AHEAD and (batch := take()):
                # Chunks of 100 records: small enough to share a batch between the
                # processes, large enough that each round trip carries real work.
                ahead.append(
                    [pool.submit(_process_chunk, batch[i : i + 100]) for i in range(0, len(batch), 100)]
                )
            if not ahead:
                break
            yield [result for future in ahead.popleft() for result in future.result()]
    except BrokenExecutor:
        _POOLS.pop(processes, None)  # a parser process died (out of memory?): a new pool next time
        raise
    if failure is not None:
        raise failure


def _process_chunk(items: list[tuple]) -> list[dict]:
    return [_process(item) for item in items]


_POOLS: dict[int, tuple[int, ProcessPoolExecutor]] = {}  # processes -> (owner pid, pool)


def _parser_pool(processes: int) -> ProcessPoolExecutor:
    """One pool of parser processes per process, reused by every import it runs (forking a
    Django process per file would cost more than parsing a small library's file). Not
    multiprocessing.Pool: its worker-handler thread wakes on every pending result and
    spent 1.5 CPU-seconds of the main process per 100k records; and a parser that dies
    breaks this pool (the import fails, can be run again) instead of hanging it."""
    owner, pool = _POOLS.get(processes, (None, None))
    if owner != os.getpid():
        # None yet, or inherited through a fork (Celery's prefork pool forks its task
        # processes): an inherited pool's manager thread and processes are the parent's.
        pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_parser_start,
            initargs=(os.getpid(),),
        )
        with _children_allowed():
            pool.submit(int).result()  # the fork context starts every process at the first task
        _POOLS[processes] = (os.getpid(), pool)
        atexit.register(_close_pools)
    return pool


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Celery's prefork pool runs tasks in daemonic processes, where multiprocessing
    refuses to start children (a daemon is killed without cleaning up after them), so
    uploads were parsed in the worker process itself, without parser processes. Ours end
    themselves when their parent goes (_parser_start): the refusal is lifted while they
    start. (A running process's daemon flag has no public setter.)"""
    config = multiprocessing.current_process()._config
    daemonic = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemonic is None:
            del config["daemon"]
        else:
            config["daemon"] = daemonic


def _parser_start(parent: int) -> None:
    """A parser process keeps the collector (forked while an import paused it) but never
    walks the Django process it was forked from again, and ends when its parent does
    (a killed or recycled Celery worker must not leave parser processes behind). It runs
    at a lower priority (PARSER_NICE) and PARSE_AHEAD batches ahead of the import."""
    os.nice(PARSER_NICE)
    gc.freeze()
    # Each record allocates a few hundred containers and the caches of folded text hold
    # up to 200,000 more: with the default thresholds (700, 10, 10) the collector took
    # 5-12% of a parser's time and found nothing (parsed data has no reference cycles).
    # Rarer collections still reclaim a cycle that an unusual record might leave.
    gc.set_threshold(20_000, 20, 20)
    gc.enable()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="exit-with-parent").start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _close_pools() -> None:
    while _POOLS:
        _processes, (owner, pool) = _POOLS.popitem()
        if owner == os.getpid():
            pool.shutdown(wait=True, cancel_futures=True)


# --- one batch -------------------------------------------------------------------------


def _run_batches(job: ImportJob, batches: Iterable[list[dict]]) -> None:
    """Plan (read and match) and write every batch. Outside a transaction each batch is
    written from a thread of its own while the next batch is planned (_WriteBehind);
    inside one (a caller's atomic block), or with IMPORT_WRITE_BEHIND off, in turn."""
    if connection.in_atomic_block or not settings.IMPORT_WRITE_BEHIND:
        for results in batches:
            with transaction.atomic():
                _begin_batch()
                write, _stored = _plan_batch(job, results)
                write()
        return
    with _read_plans(), _WriteBehind() as writer:
        pending: _Stored | None = _Stored()
        for results in batches:
            if writer.turn() or pending is None:
                writer.settle()  # what the last batch wrote is committed: nothing to overlay
                pending = _Stored()
            write, pending = _plan_batch(job, results, pending=pending, settle=writer.settle)
            writer.submit(write)


class _Stored:
    """What a batch stores, as the next batch's plan must see it while the batch may not
    be committed yet: its BibRecords as candidates (columns as _CANDIDATE_FIELDS, with
    their preferred source and its richness), its new source records by BibRecord (id,
    richness, fields) and their local ids."""

    __slots__ = ("bibs", "local_ids", "sources")

    def __init__(self) -> None:
        self.bibs: dict[int, dict] = {}
        self.sources: dict[int, list[tuple[int, int, dict]]] = defaultdict(list)
        self.local_ids: set[str] = set()

    def bib(
        self,
        bib_id: int,
        fields: dict,
        keys: list[str],
        preferred: tuple[int, int] | None,
        arrays: tuple[list[int], list[int]] | None = None,
    ) -> None:
        """``preferred``: (id, richness) of its live preferred source (None: recompute it
        from every source); ``arrays``: the holding arrays it will have (None: not known
        before the write)."""
        libraries, provinces = arrays or (None, None)
        source, richness = preferred or (None, None)
        self.bibs[bib_id] = {
            "id": bib_id,
            "match_keys": keys,
            "library_ids": libraries,
            "province_ids": provinces,
            "preferred_source_id": source,
            "preferred_richness": richness,
            **dict(zip(BIB_FIELDS, _bib_values(fields), strict=True)),
        }


# A bigint advisory lock key is kept as two halves: classid (high) and objid (low).
# (a waiter in another database of the server is no reason to let go)
_LOCK_WAITERS_SQL = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s"  # noqa: S608 - constants
    f" AND objsubid = 1 AND NOT granted AND {_THIS_DATABASE})"
)


class _WriteBehind:
    """Each batch written (one transaction, as in turn) by a thread with a connection of
    its own, while the main thread reads and matches the next batch: the main process's
    Python and the server's writing overlap instead of taking turns (at a million records
    they were some 14 and 27 CPU-seconds per 100k records, one waiting for the other).

    The next batch's plan reads what is committed; what the batch being written will
    store comes from its _Stored. Nothing else may write the catalogue in between: the
    writer holds the catalogue lock for the session, and every TURN seconds, with no
    plan under way, it lets the writers waiting for the lock (a cataloguer's split, another
    import) take their turn. A batch that changes stored source records is planned only
    once the previous one is committed, and the one after it waits for it in turn."""

    TURN = 2.0
    # The writer thread takes the interpreter lock back after each of its ~10 statements
    # a batch; while the main thread runs Python it got it only when the switch interval
    # (5 ms) ran out, with the server idle meanwhile. With 0.5 ms the writer's time beyond
    # the server's own work fell from ~60 to ~45 ms a batch (benchmarks/import_bench.py).
    SWITCH_INTERVAL = 0.0005

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="import-writer")
        self._pending: Future | None = None
        self._since = 0.0
        self._switch = sys.getswitchinterval()

    def __enter__(self) -> _WriteBehind:
        self._thread.submit(self._lock).result()
        sys.setswitchinterval(min(self._switch, self.SWITCH_INTERVAL))
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.settle()  # the batches planned before an error are written all the same
        finally:
            sys.setswitchinterval(self._switch)
            # Closing the connection ends its session, and with it the catalogue lock.
            self._thread.submit(self._close).result()
            self._thread.shutdown()

    @staticmethod
    def _close() -> None:
        """Give the catalogue lock back, then close the writer thread's own connection.

        Closing alone ends the session, but the server releases the session's locks only
        when its backend has exited, some milliseconds after the client has gone: a
        writer starting right after this import could still find the lock taken (and a
        test that looked at once found it held one run in two under load)."""
        try:
            if connection.connection is not None and connection.is_usable():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock_all()")
        finally:
            connection.close()  # looked up in this thread: the writer's own connection

    def _lock(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
        self._since = time.monotonic()

    def _relock(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])
        self._lock()

    def settle(self) -> None:
        """Wait until the batch being written is committed (its error is raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def turn(self) -> bool:
        """Let waiting writers in when the lock has been held for TURN seconds (True: then
        the next plan reads only committed data). Only if one is waiting: giving the lock
        up means waiting for the batch being written, one batch without overlap."""
        if time.monotonic() - self._since < self.TURN:
            return False
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_WAITERS_SQL, [IMPORT_LOCK >> 32, IMPORT_LOCK & 0xFFFFFFFF])
            waiting = cursor.fetchone()[0]
        if not waiting:
            self._since = time.monotonic()
            return False
        self.settle()
        self._thread.submit(self._relock).result()
        return True

    def submit(self, write: Callable[[], None]) -> None:
        self.settle()
        self._pending = self._thread.submit(self._write, write)

    @staticmethod
    def _write(write: Callable[[], None]) -> None:
        with transaction.atomic():
            _begin_batch()
            write()


def _existing_sources(library: Library, local_ids: list[str]) -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT local_id, id, checksum, bib_record_id, withdrawn FROM catalogue_sourcerecord"
            " WHERE library_id = %s AND local_id = ANY(%s::varchar[])",
            [library.pk, local_ids],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _plan_batch(
    job: ImportJob,
    results: list[dict],
    *,
    pending: _Stored | None = None,
    settle: Callable[[], None] | None = None,
) -> tuple[Callable[[], None], _Stored | None]:
    """Read and match one batch; returns its writes (one transaction) and what they store
    (None: the next batch must wait until they are committed). ``pending`` is what the
    batch being written stores; ``settle`` waits until it is committed."""
    library = job.library
    errors = [r for r in results if "error" in r]
    goods: list[dict] = []
    seen: dict[str, int] = {}
    for r in results:
        if "error" in r:
            continue
        if r["local_id"] in seen:
            errors.append(
                {
                    "number": r["number"],
                    "local_id": r["local_id"],
                    "error": ImportMessage(
                        "duplicate_id", local_id=repr(r["local_id"]), first=seen[r["local_id"]]
                    ),
                }
            )
            continue
        seen[r["local_id"]] = r["number"]
        goods.append(r)
    if pending is not None and not pending.local_ids.isdisjoint(seen):
        settle()  # a record repeated from the batch being written: compare with it as stored
        pending = None
    existing = _existing_sources(library, list(seen))
    unchanged_ids, changed, new = [], [], []
    for r in goods:
        old = existing.get(r["local_id"])
        if old is None:
            new.append(r)
        elif old[1] == r["checksum"] and not old[3] and old[2] is not None:
            unchanged_ids.append(old[0])
        else:
            r["source_id"], r["old_bib"] = old[0], old[2]
            changed.append(r)
    if changed and pending is not None:
        settle()  # records move between BibRecords: read them only as committed
        pending = None
    stored = None if changed else _Stored()
    counts = defaultdict(int)
    counts["unchanged"] = len(unchanged_ids)
    counts["created"] = len(new)
    counts["updated"] = len(changed)
    store = None
    if changed or new:
        counts["merged"], store = _store(library, job, new, changed, pending=pending, stored=stored)
    # Present in the file (unchanged, or rejected this time): not withdrawn by --replace.
    present = [e["local_id"] for e in errors if e.get("local_id")] if job.replace else []

    def write() -> None:
        if job.replace:
            SourceRecord.objects.filter(
                Q(pk__in=unchanged_ids) | Q(library=library, local_id__in=present)
            ).update(last_job=job)
        if store is not None:
            store()
        ImportRecordError.objects.bulk_create(
            [
                ImportRecordError(
                    job=job,
                    record_number=e["number"],
                    local_id=(e.get("local_id") or "")[:100],
                    reason=e["error"],
                    reason_data=e["error"].as_data() if isinstance(e["error"], ImportMessage) else {},
                )
                for e in errors
            ]
        )
        ImportJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + len(results),
            total=F("total") + len(results),
            rejected=F("rejected") + len(errors),
            **{k: F(k) + v for k, v in counts.items() if v},
        )

    if stored is not None:
        stored.local_ids = {r["local_id"] for r in new}
    return write, stored


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


# The planner settings of a batch's statements (_batch_plans says why), in one place for
# the batch's transaction, the plans' session and the reset after.
_PLAN_SETTINGS = (("enable_seqscan", "off"), ("jit", "off"), ("max_parallel_workers_per_gather", "0"))
_PLAN_SETTINGS_SQL = ", ".join(f"set_config('{name}', '{value}', %s)" for name, value in _PLAN_SETTINGS)


def _begin_batch() -> None:
    """The catalogue lock and a bulk batch's settings, in one round trip. Bulk batches
    commit without waiting for the WAL flush: a crash can lose only the last batches, and
    running the import again redoes exactly those (checksums). Plans as in _batch_plans."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true), {_PLAN_SETTINGS_SQL}",
            [IMPORT_LOCK, *[True] * len(_PLAN_SETTINGS)],
        )


def _batch_plans(*, local: bool = True) -> None:
    """Every statement of a batch looks rows up by key (ids, local ids, match keys), so the
    index is always the right plan; but tables filled by an import have no statistics
    until autovacuum analyzes them, and the planner then scanned the whole source table
    for each batch (quadratic import time). No JIT either: the batch statements' cost
    estimates cross jit_above_cost and compiling took longer than running them; nor
    parallel workers (starting them took ~20 ms of a 35 ms candidate lookup). For the
    transaction (``local``), or for the session."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_PLAN_SETTINGS_SQL}", [local] * len(_PLAN_SETTINGS))


@contextmanager
def _read_plans() -> Iterator[None]:
    """_batch_plans for the plans' reads when batches are written behind: they run
    outside the batches' transactions (session settings, put back after)."""
    _batch_plans(local=False)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("; ".join(f"RESET {name}" for name, _value in _PLAN_SETTINGS))


def _store(
    library: Library,
    job: ImportJob | None,
    new: list[dict],
    changed: list[dict],
    *,
    pending: _Stored | None = None,
    stored: _Stored | None = None,
) -> tuple[int, Callable[[], None]]:
    """Match, and plan the writes of sources, holdings and the touched BibRecords.
    Returns the merges and the writes.

    New BibRecords are written once, complete (fields, search document, holding arrays,
    preferred source: ids are taken from the sequences first; foreign keys are deferred);
    existing ones that gained or lost a source are recomputed with one UPDATE. Records
    that only gain new sources are derived here from what is stored (and ``pending``);
    when source records change, the BibRecords are derived again inside the writes, once
    the changed sources are written.
    """
    records = new + changed
    for r in records:
        if "keys" not in r:
            r["keys"] = matching.block_keys(r["fields"])
    assignments, merges, candidates = _assign(records, pending=pending)
    now = timezone.now()
    placeholders = sorted({b for b in assignments.values() if b < 0}, reverse=True)
    new_bib_ids, new_source_ids = _next_ids(
        ("catalogue_bibrecord", len(placeholders)), ("catalogue_sourcerecord", len(new))
    )
    real = dict(zip(placeholders, new_bib_ids, strict=True))
    for r, sid in zip(new, new_source_ids, strict=True):
        r["source_id"] = sid
    members: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        bib = assignments[id(r)]
        r["bib_id"] = real.get(bib, bib)
        if bib < 0:
            members[bib].append(r)
    job_id = "\\N" if job is None else str(job.pk)
    stamp = _copy_value(now)
    # A new record's holding arrays: this library's, or none if it holds no live copy.
    held_arrays = ([library.pk], [library.province_number])
    held_text = "\t".join(_copy_value(a) for a in held_arrays)
    stored = stored if stored is not None else _Stored()
    fresh = []
    for p in placeholders:
        group = members[p]
        held, arrays = (held_text, held_arrays) if any(r["held"] for r in group) else ("{}\t{}", ([], []))
        if len(group) == 1:  # usual case: rendered by the parser
            only = group[0]
            fresh.append(
                f"{only['bib_copy']}\t{real[p]}\t{held}\t{only['source_id']}\t{only['richness']}\t{stamp}\tt"
            )
            stored.bib(real[p], only["fields"], only["keys"], (only["source_id"], only["richness"]), arrays)
        else:
            sources = [(r["source_id"], r["richness"], r["fields"]) for r in group]
            preferred, fields, keys = merge_sources(sources)
            richness = next(s[1] for s in sources if s[0] == preferred)
            values = (*_bib_values(fields), matching.match_key(fields), keys, *_document_parts(fields))
            fresh.append(f"{_copy_line(values)}\t{real[p]}\t{held}\t{preferred}\t{richness}\t{stamp}\tt")
            stored.bib(real[p], fields, keys, (preferred, richness), arrays)
    for r in new:
        stored.sources[r["bib_id"]].append((r["source_id"], r["richness"], r["fields"]))
    new_lines = [
        f"{r['source_copy']}\t{r['source_id']}\t{library.pk}\t{r['bib_id']}\tf\t{job_id}\t{stamp}\t{stamp}"
        for r in new
    ]
    changed_lines = [
        f"{r['source_copy']}\t{r['source_id']}\t{r['bib_id']}\t{job_id}\t{stamp}" for r in changed
    ]
    holdings = _store_holdings(library, new, changed, stamp, now)
    created = set(new_bib_ids)
    affected = {r["bib_id"] for r in records if r["bib_id"] not in created}
    affected |= {r["old_bib"] for r in changed if r.get("old_bib")}
    if changed:
        bibs = None
    else:
        extended = _extended_rows(library, affected, new, candidates, now, pending=pending, stored=stored)
        bibs = _recompute_plan(
            affected - extended.keys(),
            extra_rows=extended.values(),
            new_lines=fresh,
            more_sources=(pending.sources, stored.sources) if pending is not None else (stored.sources,),
            stored=stored,
        )

    def write() -> None:
        with connection.cursor() as cursor:
            if new_lines:
                _copy(
                    cursor,
                    "catalogue_sourcerecord",
                    _SOURCE_COPY_COLUMNS
                    + ", id, library_id, bib_record_id, withdrawn, last_job_id, created_at, updated_at",
                    new_lines,
                )
            if changed_lines:
                cursor.execute(_SOURCE_STAGE_SQL)
                cursor.execute("DELETE FROM ish_source_stage")
                _copy(cursor, "ish_source_stage", _SOURCE_COPY_COLUMNS + ", id, bib, job, now", changed_lines)
                cursor.execute(
                    "UPDATE catalogue_sourcerecord AS s SET bib_record_id = v.bib, marc = v.marc,"
                    " source_format = v.source_format, checksum = v.checksum, withdrawn = false, data = v.data,"
                    " richness = v.richness, last_job_id = v.job, updated_at = v.now"
                    " FROM ish_source_stage AS v WHERE s.id = v.id"
                )
        holdings()
        if bibs is not None:
            _recompute_write(*bibs)
        else:  # sources changed: derived again from every source, as now written
            bib_records_recompute(bib_ids=affected, sync_holdings=False, new_lines=fresh)

    return merges, write


def _extended_rows(
    library: Library,
    affected: set[int],
    new: list[dict],
    candidates: dict,
    now,
    *,
    pending: _Stored | None = None,
    stored: _Stored | None = None,
) -> dict[int, str]:
    """Update rows (by record, as staging lines) for records that only gained new sources in this batch, merged into the
    stored record (``candidates``: as stored, or as the batch being written stores it)
    instead of re-reading every source (whose number grows with the number of libraries
    holding the title). Exactly what bib_records_recompute derives: sources merge in id
    order, the new sources have the highest ids, and they are appended last unless one of
    them is richer than the preferred source (then the caller recomputes from every
    source). Only for batches of new records."""
    joining: dict[int, list[dict]] = defaultdict(list)
    for r in new:
        if r["bib_id"] in affected:
            joining[r["bib_id"]].append(r)
    rows: dict[int, str] = {}
    for bib in joining:
        record = candidates.get(bib)
        if record is None or record["preferred_richness"] is None or record["preferred_source_id"] is None:
            continue
        pid, richness = record["preferred_source_id"], record["preferred_richness"]
        group = sorted(joining[bib], key=lambda r: r["source_id"])
        if any(r["richness"] >= richness and r["source_id"] < pid for r in group) or any(
            r["richness"] > richness for r in group
        ):
            continue
        fields = {c: record[c] for c in BIB_FIELDS}
        described = [fields[c] for c in _DOCUMENT_FIELDS]
        keys = list(record["match_keys"])
        for r in group:
            _merge_fields_into(fields, r["fields"])
            for key in r["keys"]:
                if key not in keys:
                    keys.append(key)
        # The holding arrays as the aggregate over the holdings would give them: the
        # stored ones (kept current with every holdings change) and this library's.
        arrays = None
        if record.get("library_ids") is not None:
            libraries, provinces = set(record["library_ids"]), set(record["province_ids"])
            if any(r["held"] for r in group):
                libraries.add(library.pk)
                provinces.add(library.province_number)
            arrays = (sorted(libraries), sorted(provinces))
        # Sources that join fill only empty fields: mostly the search document stays.
        same = described == [fields[c] for c in _DOCUMENT_FIELDS]
        rows[bib] = _copy_line(
            _update_row(bib, fields, keys, (pid, richness), now, arrays, same_document=same)
        )
        if stored is not None:
            stored.bib(bib, fields, keys, (pid, richness), arrays)
    return rows


def _update_row(
    bib: int,
    fields: dict,
    keys: list[str],
    preferred: tuple[int, int | None],
    now,
    arrays: tuple[list, list] | None = None,
    *,
    same_document: bool = False,
) -> tuple:
    """A staging row (in _STAGE_COLUMNS order) rewriting an existing record; ``preferred``:
    its preferred source's id and richness (None when that source is withdrawn); its
    holding arrays aggregated from the holdings unless given (``arrays``); its search
    document kept as stored when the fields it is made of are unchanged (``same_document``:
    the document parts are NULL)."""
    libraries, provinces = arrays or (None, None)
    return (
        *_bib_values(fields),
        matching.match_key(fields),
        keys,
        *((None, None, None, None) if same_document else _document_parts(fields)),
        bib,
        libraries,
        provinces,
        *preferred,
        now,
        False,
    )


def _assign(
    records: list[dict], *, lowest_id: bool = False, pending: _Stored | None = None
) -> tuple[dict[int, int], int, dict[int, dict]]:
    """BibRecord id (or a negative placeholder) for each record, merges, and the candidates
    as stored (id -> columns), or as ``pending`` (the batch being written) stores them;
    one candidate query."""
    keys = sorted({k for r in records for k in r["keys"]})
    current = [r["old_bib"] for r in records if r.get("old_bib")]
    candidates: dict[int, dict] = {}
    fields = _CANDIDATE_FIELDS
    with connection.cursor() as cursor:
        if keys:
            # With a thousand keys the planner over-estimates the hits and scans the table;
            # the key index is always the right plan here (keys are selective by design):
            # callers set _batch_plans for their transaction.
            cursor.execute(_CANDIDATES_SQL, [keys])
            for row in cursor.fetchall():
                candidates[row[0]] = dict(zip(fields, row, strict=True))
        missing = [b for b in current if b not in candidates]
        if missing:
            cursor.execute(_CANDIDATES_BY_ID_SQL, [missing])
            for row in cursor.fetchall():
                candidates[row[0]] = dict(zip(fields, row, strict=True))
    if pending is not None and pending.bibs:
        wanted = set(keys)
        for bib_id, bib in pending.bibs.items():
            if bib_id in candidates or not wanted.isdisjoint(bib["match_keys"]):
                candidates[bib_id] = bib
    by_key: dict[str, list[int]] = defaultdict(list)
    for bib_id, bib in candidates.items():
        for key in bib["match_keys"]:
            by_key[key].append(bib_id)
    forbidden, forced = _decisions([r["source_id"] for r in records if r.get("source_id")])
    assignments: dict[int, int] = {}
    merges = 0
    next_placeholder = -1
    for r in records:
        sid = r.get("source_id")
        bib_id = forced.get(sid) if sid else None
        if bib_id is not None and bib_id not in candidates:
            bib_id = None
        if bib_id is None:
            ids = {b for k in r["keys"] for b in by_key.get(k, ())}
            if r.get("old_bib"):
                ids.add(r["old_bib"])
            bib_id = matching.best_match(
                r["fields"],
                ((b, candidates[b]) for b in sorted(ids)),
                forbidden=forbidden.get(sid, set()) if sid else set(),
                prefer=r.get("old_bib"),
                lowest_id=lowest_id,
            )
        if bib_id is None:
            bib_id = next_placeholder
            next_placeholder -= 1
            candidates[bib_id] = {"id": bib_id, **r["fields"]}
        elif bib_id != r.get("old_bib"):
            merges += 1  # joined a record described by another source
        for key in r["keys"]:
            if bib_id not in by_key[key]:
                by_key[key].append(bib_id)
        assignments[id(r)] = bib_id
    return assignments, merges, candidates


def _decisions(source_ids: list[int]) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Cataloguers' rulings for these sources: bibs they may not join, bibs they must join."""
    if not source_ids:
        return {}, {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.source_id, d.other_id, d.same, so.bib_record_id, oo.bib_record_id"
            " FROM catalogue_matchdecision d"
            " JOIN catalogue_sourcerecord so ON so.id = d.source_id"
            " JOIN catalogue_sourcerecord oo ON oo.id = d.other_id"
            " WHERE d.source_id = ANY(%s::bigint[]) OR d.other_id = ANY(%s::bigint[])",
            [source_ids, source_ids],
        )
        rows = cursor.fetchall()
    wanted = set(source_ids)
    forbidden: dict[int, set[int]] = defaultdict(set)
    forced: dict[int, int] = {}
    for a, b, same, bib_a, bib_b in rows:
        for me, other_bib in ((a, bib_b), (b, bib_a)):
            if me not in wanted or other_bib is None:
                continue
            if same:
                forced[me] = other_bib
            else:
                forbidden[me].add(other_bib)
    return forbidden, forced


def _holding_rows(holdings: list[dict]) -> list[tuple[str, dict]]:
    seen: dict[str, int] = defaultdict(int)
    out = []
    for h in holdings:
        base = f"b:{h['barcode']}" if h["barcode"] else f"c:{h['call_number']}|{h['location']}"
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append((key[:300], h))
    return out


def _store_holdings(
    library: Library, new: list[dict], changed: list[dict], stamp: str, now
) -> Callable[[], None]:
    """The writes of a batch's holdings: new ones by COPY (lines rendered by the parser,
    ids added here); a changed record's holdings are matched to the stored ones by holding
    key and updated in place (read now: such batches are planned on committed data)."""
    rows = []
    for r in new:
        tail = f"\t{r['source_id']}\t{library.pk}\t{r['bib_id']}\t{stamp}\t{stamp}"
        rows += [line + tail for line in r["holding_copy"]]
    updates, gone = [], []
    if changed:
        existing: dict[int, dict[str, int]] = defaultdict(dict)
        for hid, sid, key in Holding.objects.filter(
            source_id__in=[r["source_id"] for r in changed]
        ).values_list("id", "source_id", "holding_key"):
            existing[sid][key] = hid
        for r in changed:
            mine = existing.get(r["source_id"], {})
            kept = set()
            tail = f"\t{r['source_id']}\t{library.pk}\t{r['bib_id']}\t{stamp}\t{stamp}"
            for (key, h), line in zip(r["holdings"], r["holding_copy"], strict=True):
                if key in mine:
                    kept.add(key)
                    updates.append(
                        (
                            mine[key],
                            r["bib_id"],
                            h["call_number"],
                            h["location"],
                            h["barcode"],
                            h["item_count"],
                            h["lendable"],
                            h["status"],
                            now,
                        )
                    )
                else:
                    rows.append(line + tail)
            gone += [hid for key, hid in mine.items() if key not in kept]

    def write() -> None:
        with connection.cursor() as cursor:
            if updates:
                execute_values(
                    cursor,
                    "UPDATE catalogue_holding AS h SET bib_record_id = v.bib, call_number = v.call,"
                    " location = v.loc, barcode = v.barcode, item_count = v.n, lendable = v.lendable,"
                    " status = v.status, updated_at = v.now FROM (VALUES %s) AS v(id, bib, call, loc, barcode,"
                    " n, lendable, status, now) WHERE h.id = v.id",
                    updates,
                    template="(%s, %s::bigint, %s, %s, %s, %s::smallint, %s, %s, %s::timestamptz)",
                    page_size=1000,
                )
            if gone:  # absent from the new version: kept, marked withdrawn, never deleted
                cursor.execute(
                    "UPDATE catalogue_holding AS h SET status = 'withdrawn', updated_at = %s,"
                    " bib_record_id = s.bib_record_id FROM catalogue_sourcerecord s"
                    " WHERE h.source_id = s.id AND h.id = ANY(%s)",
                    [now, gone],
                )
            if rows:
                _copy(
                    cursor,
                    "catalogue_holding",
                    "holding_key, call_number, location, barcode, item_count, lendable, status, source_id,"
                    " library_id, bib_record_id, created_at, updated_at",
                    rows,
                )

    return write


def _copy_text(text: str) -> str:
    """Text in COPY's text format (chained str.replace: twice as fast as str.translate).
    Most text has no tab, newline, NUL (none is printable) or backslash: returned as is."""
    if text.isprintable() and "\\" not in text:
        return text
    return (
        text.replace("\x00", "")
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is str:  # most values: test the common types first, by identity
        return _copy_text(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is list or kind is tuple:  # an array literal, then escaped as any text
        return _copy_text("{" + ",".join([_array_item(v) for v in value]) + "}")
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _copy_text(str(value))


_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if type(value) is str else str(value)
    if '"' in text or "\\" in text:
        text = text.translate(_ARRAY_ESCAPES)
    return '"' + text + '"'


def _copy_line(values: Iterable[Any]) -> str:
    """One row in COPY's text format."""
    return "\t".join([_copy_value(v) for v in values])


def _copy(cursor, table: str, columns: str, lines: list[str]) -> None:
    """Load rows (lines of _copy_line text) with COPY (PERFORMANCE.md: twice as fast as
    execute_values)."""
    text = "\n".join(lines) + "\n"
    # Read in 1 MB pieces, not 8 kB (positional: Django's debug cursor passes no keywords).
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text), 1 << 20)


# --- BibRecords derived from their sources ---------------------------------------------------

_BIB_INSERT_COLUMNS = (
    *BIB_FIELDS,
    "match_key",
    "match_keys",
    "library_ids",
    "province_ids",
    "created_at",
    "updated_at",
)
_BIB_TEMPLATE = (
    "("
    + ", ".join(f"%s{_CASTS.get(c, '')}" for c in BIB_FIELDS)
    + ", %s, %s::varchar[], '{}'::integer[], '{}'::smallint[], %s, %s)"
)


# SQL built once from the constant column lists above (no user input).
_BIB_INSERT_SQL = f"INSERT INTO catalogue_bibrecord ({', '.join(_BIB_INSERT_COLUMNS)}) VALUES %s RETURNING id"  # noqa: S608
_BIB_INSERT_ONE_SQL = _BIB_INSERT_SQL.replace("%s", _BIB_TEMPLATE, 1)
_CANDIDATE_FIELDS = (
    "id",
    "match_keys",
    "library_ids",
    "province_ids",
    "preferred_source_id",
    "preferred_richness",
    *BIB_FIELDS,
)
# The records holding any of the batch's keys: one index-only scan of catalogue_matchkey
# for all of them (catalogue.models.MatchKey), then the records by id. (GIN lookups on
# match_keys, one per key: 25-30 ms a batch of 2,600 keys at a million records; this
# scan and fetch: ~15 ms.)
_CANDIDATES_SQL = (
    f"SELECT {', '.join(_CANDIDATE_FIELDS)} FROM catalogue_bibrecord"  # noqa: S608
    " WHERE id = ANY(ARRAY(SELECT DISTINCT bib_record_id FROM catalogue_matchkey WHERE key = ANY(%s::varchar[])))"
)
# One statement rewrites a record's fields, its search document (the same weighted texts
# as catalogue.indexing.refresh_search_documents) and its holding arrays (the same
# aggregate as refresh_holding_arrays): one row version per record per batch, not three.
_PROVINCES_SQL = "ARRAY[" + ", ".join(f"'{code}'" for code in PROVINCE_CODES) + "]::text[]"
_CANDIDATES_BY_ID_SQL = (
    f"SELECT {', '.join(_CANDIDATE_FIELDS)} FROM catalogue_bibrecord WHERE id = ANY(%s::bigint[])"  # noqa: S608
)
# Touched BibRecords go through a session-local staging table loaded with COPY: one INSERT
# ... SELECT for the new ones, one UPDATE ... FROM for the existing ones. The statements
# stay small and fixed (no thousand-row VALUES lists to build in Python and parse in the
# server). The UPDATE rewrites a record's fields, its search document (the same weighted
# texts as catalogue.indexing.refresh_search_documents) and its holding arrays (the same
# aggregate as refresh_holding_arrays): one row version per record per batch, not three.
# The columns a parser renders for a record of its own come first (_process).
_STAGE_COLUMNS = (
    *BIB_FIELDS,
    "match_key",
    "match_keys",
    "da",
    "db",
    "dc",
    "dd",
    "id",
    "library_ids",
    "province_ids",
    "preferred",
    "richness",
    "now",
    "fresh",
)
_STAGE_TYPES = {
    **dict.fromkeys(BIB_FIELDS, "text"),
    "authors": "text[]",
    "isbns": "varchar[]",
    "issns": "varchar[]",
    "oclc_numbers": "varchar[]",
    "subjects": "text[]",
    "year": "smallint",
    "id": "bigint",
    "match_key": "text",
    "match_keys": "varchar[]",
    "library_ids": "integer[]",
    "province_ids": "smallint[]",
    "preferred": "bigint",
    "richness": "integer",
    "now": "timestamptz",
    "da": "text",
    "db": "text",
    "dc": "text",
    "dd": "text",
    "fresh": "boolean",
}
_STAGE_SQL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS ish_bib_stage ("
    + ", ".join(f"{c} {_STAGE_TYPES[c]}" for c in _STAGE_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
_DOCUMENT_EXPR = (
    "setweight(to_tsvector('simple', v.da), 'A') || setweight(to_tsvector('simple', v.db), 'B')"
    " || setweight(to_tsvector('simple', v.dc), 'C') || setweight(to_tsvector('simple', v.dd), 'D')"
)
# Each holding's library looked up by its key. With a join, the planner (no statistics
# on the staging table) could probe the holdings index once per member library for
# every record: 60 libraries x 804 records = 48,240 probes, 55 of a batch's 79 ms, and
# growing with the number of members.
_PROVINCE_OF_HOLDING = "SELECT l.province::text FROM members_library l WHERE l.id = h.library_id"
_BIB_UPDATE_SQL = (
    f"UPDATE catalogue_bibrecord AS b SET {', '.join(f'{c} = v.{c}' for c in (*BIB_FIELDS, 'match_key', 'match_keys'))},"  # noqa: S608
    f" search_document = CASE WHEN v.da IS NULL THEN b.search_document ELSE {_DOCUMENT_EXPR} END,"
    " library_ids = COALESCE(v.library_ids, agg.libs, '{}'), province_ids = COALESCE(v.province_ids, agg.provs, '{}'),"
    " preferred_source_id = v.preferred, preferred_richness = v.richness, updated_at = v.now"
    " FROM ish_bib_stage AS v"
    " LEFT JOIN LATERAL (SELECT array_agg(DISTINCT h.library_id ORDER BY h.library_id) AS libs,"
    f" array_agg(DISTINCT array_position({_PROVINCES_SQL}, ({_PROVINCE_OF_HOLDING}))::smallint) AS provs"
    " FROM catalogue_holding h WHERE v.library_ids IS NULL AND h.bib_record_id = v.id AND h.status <> 'withdrawn')"
    " AS agg ON true"
    " WHERE b.id = v.id AND NOT v.fresh"
)
_BIB_INSERT_FULL_SQL = (
    f"INSERT INTO catalogue_bibrecord (id, {', '.join(BIB_FIELDS)}, match_key, match_keys, library_ids,"  # noqa: S608
    " province_ids, preferred_source_id, preferred_richness, created_at, updated_at, search_document)"
    f" SELECT v.id, {', '.join(f'v.{c}' for c in BIB_FIELDS)}, v.match_key, v.match_keys, v.library_ids,"
    f" v.province_ids, v.preferred, v.richness, v.now, v.now, {_DOCUMENT_EXPR} FROM ish_bib_stage AS v"
    " WHERE v.fresh"
)


# Changed source records (a re-import) are rewritten from their own staging table.
_SOURCE_COPY_COLUMNS = "local_id, marc, source_format, checksum, data, richness"
_SOURCE_STAGE_SQL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS ish_source_stage (local_id text, marc bytea, source_format text,"
    " checksum text, data jsonb, richness integer, id bigint, bib bigint, job bigint, now timestamptz)"
    " ON COMMIT DELETE ROWS"
)


def _stage(cursor, lines: list[str]) -> None:
    """Load rows (_copy_line text in _STAGE_COLUMNS order) into the staging table, emptied
    at commit and before each load (a caller's transaction may recompute several times)."""
    cursor.execute(_STAGE_SQL)
    cursor.execute("DELETE FROM ish_bib_stage")
    _copy(cursor, "ish_bib_stage", ", ".join(_STAGE_COLUMNS), lines)


def _next_ids(*wanted: tuple[str, int]) -> list[list[int]]:
    """Ids taken from each table's identity sequence (so rows can reference each other
    before they are written), for every (table, count) in one round trip."""
    result: list[list[int]] = [[] for _ in wanted]
    parts, params = [], []
    for n, (table, count) in enumerate(wanted):
        if count:
            # The sequence looked up once, not for every id: OFFSET 0 keeps the planner
            # from pulling the lookup up into the per-id expression (it did: 6.5 ms a
            # batch of 1,200 ids, against 1 ms).
            parts.append(
                "SELECT %s, nextval(s.seq) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq"
                " OFFSET 0) s, generate_series(1, %s)"
            )
            params += [n, table, count]
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for n, value in cursor.fetchall():
                result[n].append(value)
    return result


# The fields a search document is made of (catalogue.indexing.document_parts).
_DOCUMENT_FIELDS = indexing.DOCUMENT_FIELDS


def _document_parts(fields: dict) -> tuple[str, str, str, str]:
    """catalogue.indexing.document_parts with the import's cached fold (same output)."""
    return indexing.document_parts(fields, fold=matching.fold)


def _bib_values(fields: dict) -> list:
    """A record's BIB_FIELDS as stored (empty text or list, not None; year may be None)."""
    return [fields.get(c) if c == "year" else fields.get(c) or _empty(c) for c in BIB_FIELDS]


def _bib_row(fields: dict, now) -> tuple:
    return (
        *_bib_values(fields),
        matching.match_key(fields),
        matching.block_keys(fields),
        now,
        now,
    )


def _empty(column: str) -> Any:
    return [] if column in ("authors", "isbns", "issns", "oclc_numbers", "subjects") else ""


def _merge_fields_into(fields: dict, data: dict) -> None:
    """Add one source's fields to a merged record: list fields gain new values in order,
    single fields are filled only where still empty (the preferred source wins)."""
    for column in BIB_FIELDS:
        if column in _LIST_FIELDS:
            merged = list(fields.get(column) or [])
            for value in data.get(column) or []:
                if value not in merged:
                    merged.append(value)
            fields[column] = merged
        elif not fields.get(column) and data.get(column):
            fields[column] = data[column]


def merge_sources(sources: list[tuple[int, int, dict]]) -> tuple[int, dict, list[str]]:
    """(preferred source id, merged fields, match keys) from (id, richness, data) tuples."""
    preferred = max(sources, key=lambda s: (s[1], -s[0]))
    fields = {c: preferred[2].get(c) for c in BIB_FIELDS}
    others = [s for s in sources if s is not preferred]
    for _sid, _rich, data in others:
        _merge_fields_into(fields, data)
    keys: list[str] = []
    for _sid, _rich, data in sources:
        for key in matching.block_keys(data):
            if key not in keys:
                keys.append(key)
    return preferred[0], fields, keys


def bib_records_recompute(
    *,
    bib_ids: Iterable[int],
    sync_holdings: bool = True,
    extra_rows: Iterable[str] = (),
    new_lines: Iterable[str] = (),
) -> None:
    """Derive these BibRecords from their source records again (inside the caller's
    transaction): fields, search document and holding arrays. Records left without
    sources are deleted. ``sync_holdings=False`` when the caller already wrote the
    holdings' record ids (imports do); ``extra_rows`` are update rows the caller derived
    itself and ``new_lines`` new records (staging lines flagged fresh) to insert, all
    written from one staging load. Sources merge in id order."""
    ids = sorted({i for i in bib_ids if i})
    if sync_holdings and ids:
        _sync_holdings(ids)
    _recompute_write(*_recompute_plan(ids, extra_rows=extra_rows, new_lines=new_lines))


def _recompute_plan(
    bib_ids: Iterable[int],
    *,
    extra_rows: Iterable[str] = (),
    new_lines: Iterable[str] = (),
    more_sources: Iterable[dict[int, list[tuple[int, int, dict]]]] = (),
    stored: _Stored | None = None,
) -> tuple[list[str], list[str], list[int]]:
    """(update lines, new lines, records left without sources) for bib_records_recompute,
    from the source records as stored and ``more_sources`` (bib -> (id, richness, fields)
    of new source records, written or not yet); what the rows store goes into ``stored``."""
    ids = sorted({i for i in bib_ids if i})
    grouped: dict[int, dict[int, tuple]] = defaultdict(dict)
    withdrawn_only: dict[int, dict[int, tuple]] = defaultdict(dict)
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, bib_record_id, richness, data::text, withdrawn FROM catalogue_sourcerecord"
                " WHERE bib_record_id = ANY(%s::bigint[])",
                [ids],
            )
            for sid, bib, richness, data, withdrawn in cursor.fetchall():
                (withdrawn_only if withdrawn else grouped)[bib][sid] = (sid, richness, json.loads(data))
        for sources in more_sources:
            for bib in ids:
                for source in sources.get(bib, ()):
                    grouped[bib][source[0]] = source
    now = timezone.now()
    rows = list(extra_rows)
    empty = []
    for bib in ids:
        live = bool(grouped.get(bib))
        sources = grouped[bib] if live else withdrawn_only.get(bib)
        if not sources:
            empty.append(bib)
            continue
        ordered = [sources[sid] for sid in sorted(sources)]
        preferred, fields, keys = merge_sources(ordered)
        richness = sources[preferred][1] if live else None
        rows.append(_copy_line(_update_row(bib, fields, keys, (preferred, richness), now)))
        if stored is not None:
            stored.bib(bib, fields, keys, (preferred, richness) if live else None)
    return rows, list(new_lines), empty


def _recompute_write(rows: list[str], new_lines: list[str], empty: list[int]) -> None:
    """Write what _recompute_plan derived (update and new staging lines, rendered by the
    planning thread: a batch's writer thread only waits for the server)."""
    with connection.cursor() as cursor:
        if rows or new_lines:
            _stage(cursor, new_lines + rows)
            if new_lines:
                cursor.execute(_BIB_INSERT_FULL_SQL)
            if rows:
                cursor.execute(_BIB_UPDATE_SQL)
        if empty:
            cursor.execute(
                "UPDATE catalogue_holding SET bib_record_id = NULL WHERE bib_record_id = ANY(%s)", [empty]
            )
    if empty:
        # Through the ORM, so rows of other apps that point at a vanished record (an ILL
        # request's link) follow their own on_delete rule instead of blocking the import.
        bib_records_tombstone(bib_ids=empty)
        BibRecord.objects.filter(pk__in=empty).delete()


def _sync_holdings(ids: list[int]) -> None:
    """Holdings follow their source's record."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalogue_holding AS h SET bib_record_id = s.bib_record_id FROM catalogue_sourcerecord s"
            " WHERE h.source_id = s.id AND s.bib_record_id = ANY(%s)"
            " AND h.bib_record_id IS DISTINCT FROM s.bib_record_id",
            [ids],
        )


def _withdraw_absent(job: ImportJob) -> None:
    """--replace: this library's records absent from the file are withdrawn, in batches."""
    while True:
        with transaction.atomic():
            _lock()
            _batch_plans()
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


# --- file import shortcut (command, demo) ------------------------------------------------


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


# --- cataloguers' decisions and rematch --------------------------------------------------------


def _decide(a: SourceRecord, b: SourceRecord, *, same: bool, actor: Any, note: str = "") -> None:
    first, second = sorted([a.pk, b.pk])
    MatchDecision.objects.update_or_create(
        source_id=first,
        other_id=second,
        defaults={"same": same, "decided_by": actor if getattr(actor, "pk", None) else None, "note": note},
    )


@transaction.atomic
def bib_record_split(*, actor: Any, source: SourceRecord) -> BibRecord:
    """Take one source record out of its merged record; remembered on every rematch."""
    _lock()
    old = source.bib_record
    if old is None:
        raise DomainError(MSG_NOT_MERGED)
    others = list(SourceRecord.objects.filter(bib_record=old).exclude(pk=source.pk))
    if not others:
        raise DomainError(MSG_ONE_SOURCE)
    for other in others:
        _decide(source, other, same=False, actor=actor, note="split")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _BIB_INSERT_ONE_SQL,
            _bib_row(source.data, now),
        )
        new_id = cursor.fetchone()[0]
    SourceRecord.objects.filter(pk=source.pk).update(bib_record_id=new_id)
    bib_records_recompute(bib_ids=[old.pk, new_id])
    return BibRecord.objects.get(pk=new_id)


@transaction.atomic
def bib_record_merge(*, actor: Any, target: BibRecord, other: BibRecord) -> BibRecord:
    """Merge `other` into `target` by hand; remembered on every rematch."""
    if target.pk == other.pk:
        raise DomainError(MSG_MERGE_ITSELF)
    _lock()
    anchor = SourceRecord.objects.filter(bib_record=target).order_by("-richness").first()
    moving = list(SourceRecord.objects.filter(bib_record=other))
    if anchor is None or not moving:
        raise DomainError(MSG_MERGE_NO_SOURCES)
    for source in moving:
        _decide(anchor, source, same=True, actor=actor, note="merge")
    SourceRecord.objects.filter(bib_record=other).update(bib_record=target)
    bib_records_recompute(bib_ids=[target.pk, other.pk])
    return BibRecord.objects.get(pk=target.pk)


def catalogue_rematch(*, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Match every source record again (after matching rules change); duplicates collapse
    into the oldest record, cataloguers' decisions are honoured. Batches commit one by one."""
    moved = 0
    last = 0
    while True:
        with transaction.atomic():
            _lock()
            _batch_plans()
            rows = list(
                SourceRecord.objects.filter(pk__gt=last, withdrawn=False)
                .order_by("pk")
                .values_list("id", "bib_record_id", "data")[:batch_size]
            )
            if not rows:
                break
            last = rows[-1][0]
            records = [
                {"source_id": sid, "old_bib": bib, "fields": data, "keys": matching.block_keys(data)}
                for sid, bib, data in rows
            ]
            assignments, _merges, _candidates = _assign(records, lowest_id=True)
            now = timezone.now()
            changes = []
            for r in records:
                target = assignments[id(r)]
                if target < 0:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            _BIB_INSERT_ONE_SQL,
                            _bib_row(r["fields"], now),
                        )
                        real = cursor.fetchone()[0]
                    for other in records:
                        if assignments[id(other)] == target:
                            assignments[id(other)] = real
                    target = real
                if target != r["old_bib"]:
                    changes.append((r["source_id"], target, r["old_bib"]))
            for sid, target, _old in changes:
                SourceRecord.objects.filter(pk=sid).update(bib_record_id=target)
            moved += len(changes)
            bib_records_recompute(bib_ids={c[1] for c in changes} | {c[2] for c in changes if c[2]})
    return {"moved": moved, "records": BibRecord.objects.count()}
