"""The catalogue's write lock and the batch writer: each batch written in one transaction
by a thread of its own while the next batch is planned (WriteBehind), and the planner
settings of a batch's statements."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connection, transaction

IMPORT_LOCK = 0x15_4A7  # pg advisory lock id for catalogue writes
THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"

# A bigint advisory lock key is kept as two halves: classid (high) and objid (low).
# (a waiter in another database of the server is no reason to let go)
_LOCK_WAITERS_SQL = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s"  # noqa: S608 - constants
    f" AND objsubid = 1 AND NOT granted AND {THIS_DATABASE})"
)


class WriteBehind:
    """Each batch written (one transaction, as in turn) by a thread with a connection of
    its own, while the main thread reads and matches the next batch: the main process's
    Python and the server's writing overlap instead of taking turns (at a million records
    they were some 14 and 27 CPU-seconds per 100k records, one waiting for the other).

    The next batch's plan reads what is committed; what the batch being written will
    store comes from its Stored. Nothing else may write the catalogue in between: the
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

    def __enter__(self) -> WriteBehind:
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
            begin_batch()
            write()


def catalogue_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


# The planner settings of a batch's statements (batch_plans says why), in one place for
# the batch's transaction, the plans' session and the reset after.
_PLAN_SETTINGS = (("enable_seqscan", "off"), ("jit", "off"), ("max_parallel_workers_per_gather", "0"))
_PLAN_SETTINGS_SQL = ", ".join(f"set_config('{name}', '{value}', %s)" for name, value in _PLAN_SETTINGS)


def begin_batch() -> None:
    """The catalogue lock and a bulk batch's settings, in one round trip. Bulk batches
    commit without waiting for the WAL flush: a crash can lose only the last batches, and
    running the import again redoes exactly those (checksums). Plans as in batch_plans."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true), {_PLAN_SETTINGS_SQL}",
            [IMPORT_LOCK, *[True] * len(_PLAN_SETTINGS)],
        )


def batch_plans(*, local: bool = True) -> None:
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
def read_plans() -> Iterator[None]:
    """batch_plans for the plans' reads when batches are written behind: they run
    outside the batches' transactions (session settings, put back after)."""
    batch_plans(local=False)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("; ".join(f"RESET {name}" for name, _value in _PLAN_SETTINGS))
