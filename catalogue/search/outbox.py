"""How the tantivy index follows the catalogue: a transactional outbox and its one writer.

Every change to a record the index holds (import, merge, split, rematch, withdrawal,
deletion; any writer, the ORM included) adds the record's id to catalogue_searchoutbox in
the same transaction, by statement triggers on catalogue_bibrecord (migration 0021) while
the outbox is on. ``apply`` (the Celery task catalogue.apply_search_outbox, queued when a
change commits and every few seconds by beat) takes the rows in id order, rewrites those
records' documents from PostgreSQL (a deleted record's is removed), commits the index and
deletes the rows it applied. One writer at a time: a PostgreSQL advisory lock, which
``reindex`` also holds while it builds a new index beside the old and swaps them, so no
change is applied to an index about to be replaced and none is lost (rows written during
the build stay for the new index).

``check`` (nightly) compares the index's record ids with the catalogue's and puts any
record out of step back in the outbox.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import SearchOutbox
from catalogue.search.backends import tantivy_index

log = logging.getLogger(__name__)

LOCK_KEY = 0x5EA2C4  # the index's one writer (pg_advisory_lock)
BATCH = 5_000
WRITER_HEAP = 100_000_000


def _state() -> Any:
    from catalogue.models import SearchIndexState

    return SearchIndexState.objects.get_or_create(id=1)[0]


def enabled() -> bool:
    return _state().outbox


def lag() -> dict[str, Any]:
    """Records changed and not yet in the index: how many, and how long the oldest change
    has waited (seconds)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT record_id), extract(epoch FROM now() - min(created_at))"
            " FROM catalogue_searchoutbox"
        )
        pending, oldest = cursor.fetchone()
    return {"pending": int(pending), "oldest_seconds": round(float(oldest or 0), 1)}


class _Lock:
    """The writer's advisory lock, taken at session level on this thread's connection, so
    that batches can commit while it is held."""

    def __init__(self, *, wait: bool) -> None:
        self.wait = wait
        self.held = False

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            if self.wait:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
                self.held = True
            else:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _write(index: Any, writer: Any, ids: list[int]) -> int:
    """Replace these records' documents (removing those no longer in the catalogue)."""
    import tantivy

    # (by query: delete_documents_by_term takes a Python int for a signed term, and the id is unsigned)
    writer.delete_documents_by_query(tantivy.Query.term_set_query(index.schema, "id", ids))
    written = 0
    for row, document in tantivy_index.rows(ids):
        writer.add_document(tantivy_index.document(row, document))
        written += 1
    return written


def apply(*, wait: bool = False, batch: int = BATCH) -> int | None:
    """Apply the outbox to the index, batch after batch until it is empty; the number of
    records rewritten, or None when another writer holds the index."""
    if not enabled() or not SearchOutbox.objects.exists():
        return 0  # (every 2 s: no writer opened when nothing changed)
    with _Lock(wait=wait) as held:
        if not held:
            return None
        index = tantivy_index.open_for_writing()
        if index is None:
            log.error(
                "search index: %s; changes wait in the outbox", tantivy_index.PROBLEMS[tantivy_index.state()]
            )
            return 0
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        done = 0
        try:
            while True:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT id, record_id FROM catalogue_searchoutbox ORDER BY id LIMIT %s", [batch]
                        )
                        found = cursor.fetchall()
                    if not found:
                        break
                    ids = sorted({record_id for _id, record_id in found})
                    _write(index, writer, ids)
                    writer.commit()
                    tantivy_index.committed()
                    with connection.cursor() as cursor:
                        cursor.execute("DELETE FROM catalogue_searchoutbox WHERE id <= %s", [found[-1][0]])
                    done += len(ids)
        finally:
            writer.wait_merging_threads()
        return done


def reindex(*, stdout: Any = None) -> dict[str, Any]:
    """Build a new index from PostgreSQL beside the current one and swap them (searches go
    on against the old one meanwhile); turns the outbox on so the new index follows."""
    from catalogue.models import SearchIndexState

    SearchIndexState.objects.update_or_create(id=1, defaults={"outbox": True})
    started = time.perf_counter()
    with _Lock(wait=True):
        path = tantivy_index.new_build_path()
        index = tantivy_index.create(path)
        writer = index.writer(heap_size=4 * WRITER_HEAP, num_threads=2)
        written = 0
        # One snapshot for the rows and the outbox mark: changes committed after it stay in
        # the outbox and are applied to the new index; those before are in the snapshot.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT coalesce(max(id), 0) FROM catalogue_searchoutbox")
                (mark,) = cursor.fetchone()
            for row, document in tantivy_index.rows():
                writer.add_document(tantivy_index.document(row, document))
                written += 1
                if stdout is not None and written % 100_000 == 0:
                    stdout.write(f"  {written:,} records indexed")
        writer.commit()
        writer.wait_merging_threads()
        tantivy_index.swap_to(path)
        tantivy_index.remove_old_builds(keep=path)
        tantivy_index.forget()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM catalogue_searchoutbox WHERE id <= %s", [mark])
        seconds = time.perf_counter() - started
        SearchIndexState.objects.filter(id=1).update(
            built_at=timezone.now(), build_seconds=seconds, documents=written
        )
    apply(wait=True)
    return {"documents": written, "seconds": seconds, "path": str(path)}


def check(*, chunk: int = 200_000) -> int:
    """Put every record whose presence in the index differs from the catalogue back in the
    outbox (both directions); the number found. Counts first: equal counts and equal id
    sets mean nothing to do."""
    import tantivy

    from catalogue.models import SearchIndexState

    if not enabled():
        return 0
    index = tantivy_index.reader()
    if index is None:
        return 0
    index.reload()  # the writer's last commit, whoever made it
    searcher = index.searcher()
    found = searcher.search(tantivy.Query.all_query(), searcher.num_docs or 1, order_by_field="id")
    indexed = set(searcher.fast_field_values("id", [address for _key, address in found.hits]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT record_id FROM catalogue_searchoutbox")
        pending = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT id FROM catalogue_bibrecord")
        stored = {row[0] for row in cursor.fetchall()}
    drift = sorted((indexed ^ stored) - pending)
    if drift:
        log.warning("search index: %d records out of step, queued again", len(drift))
        with connection.cursor() as cursor:
            for start in range(0, len(drift), chunk):
                cursor.execute(
                    "INSERT INTO catalogue_searchoutbox (record_id, created_at) SELECT unnest(%s::bigint[]), now()",
                    [drift[start : start + chunk]],
                )
    SearchIndexState.objects.filter(id=1).update(checked_at=timezone.now(), repaired=len(drift))
    return len(drift)
