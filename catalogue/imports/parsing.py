"""Reading an import's file in batches: records parsed (and their own COPY columns
rendered) by a pool of parser processes, ahead of the batch being matched, at a lower
priority; the main process pauses the cyclic garbage collector meanwhile."""

from __future__ import annotations

import atexit
import gc
import json
import multiprocessing
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import dropwhile
from pathlib import Path

from django.conf import settings

from catalogue import matching
from catalogue.imports.derive import bib_own_text
from catalogue.imports.records import Batch, ParsedRecord, RejectedRecord
from catalogue.imports.tables import HOLDING_INSERT, SOURCE_INSERT
from catalogue.marc import FileRejected, ReadPosition, iter_items, process_item
from catalogue.models import Holding

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
_WITHDRAWN = Holding.Status.WITHDRAWN.value


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
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


def _process(item: tuple) -> ParsedRecord | RejectedRecord:
    """Parse and extract one record, compute its match keys, and render its own columns in
    COPY text (in a parser process: the main process only adds ids to these lines)."""
    result = process_item(item)
    if "fields" not in result:
        return RejectedRecord(result["number"], result["error"], result.get("local_id") or "")
    fields = result["fields"]
    keys = matching.block_keys(fields)
    holdings = _keyed_holdings(result["holdings"])
    return ParsedRecord(
        number=result["number"],
        local_id=result["local_id"],
        checksum=result["checksum"],
        richness=result["richness"],
        fields=fields,
        keys=keys,
        source_copy=SOURCE_INSERT.head_text(
            local_id=result["local_id"],
            marc=result["marc"],
            source_format=result["source_format"],
            checksum=result["checksum"],
            data=json.dumps(fields, ensure_ascii=False),
            richness=result["richness"],
        ),
        # This record as a new BibRecord of its own (the usual case).
        bib_copy=bib_own_text(fields, keys),
        holdings=holdings,
        holding_copy=[HOLDING_INSERT.head_text(holding_key=key, **h) for key, h in holdings],
        held=any(h["status"] != _WITHDRAWN for _key, h in holdings),
    )


def parsed_batches(
    path: Path, fmt: str, options: dict, processes: int | None, *, skip: int = 0
) -> Iterator[Batch]:
    """Batches of processed records after the first ``skip`` items (a resumed job's
    committed ones, read but not parsed again), each with the byte its last item ends
    at; a pool parses the next batches while we write this one."""
    position = ReadPosition(path.stat().st_size)
    items = iter_items(path, fmt, options, position)
    if skip:
        items = dropwhile(lambda item: item[1] <= skip, items)
    processes = settings.IMPORT_PARSE_PROCESSES if processes is None else processes
    failure: FileRejected | None = None

    size = 0

    def take() -> tuple[list, int]:
        """The next batch and where it ends in the file; a file error ends the file but
        keeps the records read before it. The first batches are small and double
        (FIRST_BATCH_SIZE) up to BATCH_SIZE."""
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
        return batch, position.offset()

    if processes <= 1:
        while (taken := take())[0]:
            batch, end = taken
            yield Batch([_process(item) for item in batch], end)
        if failure is not None:
            raise failure
        return
    pool = _parser_pool(processes)
    ahead: deque[tuple[list[Future], int]] = deque()
    try:
        while True:
            while len(ahead) < PARSE_AHEAD and (taken := take())[0]:
                batch, end = taken
                # Chunks of 100 records: small enough to share a batch between the
                # processes, large enough that each round trip carries real work.
                chunks = [pool.submit(_process_chunk, batch[i : i + 100]) for i in range(0, len(batch), 100)]
                ahead.append((chunks, end))
            if not ahead:
                break
            chunks, end = ahead.popleft()
            yield Batch([result for future in chunks for result in future.result()], end)
    except BrokenExecutor:
        POOLS.pop(processes, None)  # a parser process died (out of memory?): a new pool next time
        raise
    if failure is not None:
        raise failure


def _process_chunk(items: list[tuple]) -> list[ParsedRecord | RejectedRecord]:
    return [_process(item) for item in items]


POOLS: dict[int, tuple[int, ProcessPoolExecutor]] = {}  # processes -> (owner pid, pool)


def _parser_pool(processes: int) -> ProcessPoolExecutor:
    """One pool of parser processes per process, reused by every import it runs (forking a
    Django process per file would cost more than parsing a small library's file). Not
    multiprocessing.Pool: its worker-handler thread wakes on every pending result and
    spent 1.5 CPU-seconds of the main process per 100k records; and a parser that dies
    breaks this pool (the import fails, can be run again) instead of hanging it."""
    owner, pool = POOLS.get(processes, (None, None))
    if owner != os.getpid():
        # None yet, or inherited through a fork (Celery's prefork pool forks its task
        # processes): an inherited pool's manager thread and processes are the parent's.
        pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_parser_start,
            initargs=(os.getpid(),),
        )
        with children_allowed():
            pool.submit(int).result()  # the fork context starts every process at the first task
        POOLS[processes] = (os.getpid(), pool)
        atexit.register(_close_pools)
    return pool


@contextmanager
def children_allowed() -> Iterator[None]:
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
    while POOLS:
        _processes, (owner, pool) = POOLS.popitem()
        if owner == os.getpid():
            pool.shutdown(wait=True, cancel_futures=True)


def _keyed_holdings(holdings: list[dict]) -> list[tuple[str, dict]]:
    """Each holding with its key: its barcode, else its call number and location (numbered
    when repeated), by which a re-import finds it again."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for h in holdings:
        base = f"b:{h['barcode']}" if h["barcode"] else f"c:{h['call_number']}|{h['location']}"
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append((key[:300], h))
    return out
