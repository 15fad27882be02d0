"""One batch of an import: its reads and matching planned by the main thread, its
writes (one transaction) returned to be run by the writer (catalogue.imports.writer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg2.extras import execute_values

from catalogue.import_messages import ImportMessage
from catalogue.imports import derive
from catalogue.imports.candidates import assign
from catalogue.imports.copy import Rendered, copy_value
from catalogue.imports.derive import (
    DOCUMENT_FIELDS,
    Stored,
    bib_own_text,
    fresh_row,
    merge_fields_into,
    merge_sources,
    next_ids,
    update_row,
)
from catalogue.imports.records import Batch, ParsedRecord, RejectedRecord
from catalogue.imports.tables import BIB_FIELDS, HOLDING_INSERT, SOURCE_INSERT, SOURCE_STAGE, SOURCE_STAGE_SQL
from catalogue.imports.writer import WriteBehind, begin_batch, read_plans
from catalogue.models import Holding, ImportJob, ImportRecordError, SourceRecord
from members.models import Library


def run_batches(job: ImportJob, batches: Iterable[Batch]) -> None:
    """Plan (read and match) and write every batch. Outside a transaction each batch is
    written from a thread of its own while the next batch is planned (WriteBehind);
    inside one (a caller's atomic block), or with IMPORT_WRITE_BEHIND off, in turn."""
    if connection.in_atomic_block or not settings.IMPORT_WRITE_BEHIND:
        for results in batches:
            with transaction.atomic():
                begin_batch()
                write, _stored = plan_batch(job, results)
                write()
        return
    with read_plans(), WriteBehind() as writer:
        pending: Stored | None = Stored()
        for results in batches:
            if writer.turn() or pending is None:
                writer.settle()  # what the last batch wrote is committed: nothing to overlay
                pending = Stored()
            write, pending = plan_batch(job, results, pending=pending, settle=writer.settle)
            writer.submit(write)


def _existing_sources(library: Library, local_ids: list[str]) -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT local_id, id, checksum, bib_record_id, withdrawn FROM catalogue_sourcerecord"
            " WHERE library_id = %s AND local_id = ANY(%s::varchar[])",
            [library.pk, local_ids],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


@dataclass(slots=True)
class _Sorted:
    """A batch's records by what they are to the library's stored source records."""

    rejected: list[RejectedRecord]  # unreadable, or a local id repeated in the file
    local_ids: dict[str, int] = field(default_factory=dict)  # readable ones -> item number
    new: list[ParsedRecord] = field(default_factory=list)
    changed: list[ParsedRecord] = field(default_factory=list)  # source_id, old_bib set
    unchanged_ids: list[int] = field(default_factory=list)  # their source records' ids


def _without_repeats(results: list[ParsedRecord | RejectedRecord]) -> tuple[_Sorted, list[ParsedRecord]]:
    """The batch's rejected items, and its readable records but the repeats of a local id."""
    batch = _Sorted(rejected=[r for r in results if type(r) is RejectedRecord])
    readable: list[ParsedRecord] = []
    seen = batch.local_ids
    for r in results:
        if type(r) is RejectedRecord:
            continue
        if r.local_id in seen:
            repeated = ImportMessage("duplicate_id", local_id=repr(r.local_id), first=seen[r.local_id])
            batch.rejected.append(RejectedRecord(r.number, repeated, r.local_id))
            continue
        seen[r.local_id] = r.number
        readable.append(r)
    return batch, readable


def _sort_by_stored(library: Library, batch: _Sorted, readable: list[ParsedRecord]) -> None:
    """New, changed (their stored source record and its BibRecord noted) or unchanged."""
    existing = _existing_sources(library, list(batch.local_ids))
    for r in readable:
        old = existing.get(r.local_id)
        if old is None:
            batch.new.append(r)
        elif old[1] == r.checksum and not old[3] and old[2] is not None:
            batch.unchanged_ids.append(old[0])
        else:
            r.source_id, r.old_bib = old[0], old[2]
            batch.changed.append(r)


def plan_batch(
    job: ImportJob,
    results: Batch,
    *,
    pending: Stored | None = None,
    settle: Callable[[], None] | None = None,
) -> tuple[Callable[[], None], Stored | None]:
    """Read and match one batch; returns its writes (one transaction) and what they store
    (None: the next batch must wait until they are committed). ``pending`` is what the
    batch being written stores; ``settle`` waits until it is committed."""
    library = job.library
    batch, readable = _without_repeats(results)
    if pending is not None and not pending.local_ids.isdisjoint(batch.local_ids):
        settle()  # a record repeated from the batch being written: compare with it as stored
        pending = None
    _sort_by_stored(library, batch, readable)
    if batch.changed and pending is not None:
        settle()  # records move between BibRecords: read them only as committed
        pending = None
    stored = None if batch.changed else Stored()
    # Each record counts once: new (it made a record of its own), merged (it joined a
    # record described by another source), updated or unchanged; or rejected.
    counts = {"unchanged": len(batch.unchanged_ids), "updated": len(batch.changed)}
    store = None
    if batch.changed or batch.new:
        merged, store = _store(library, job, batch.new, batch.changed, pending=pending, stored=stored)
        counts |= {"created": len(batch.new) - merged, "merged": merged}
    if stored is not None:
        stored.local_ids = {r.local_id for r in batch.new}
    return partial(_write_batch, job, batch, len(results), results.end, counts, store), stored


def _write_batch(
    job: ImportJob,
    batch: _Sorted,
    size: int,
    end: int,
    counts: dict[str, int],
    store: Callable[[], None] | None,
) -> None:
    """A batch's writes: its records, rejected items and counts (one transaction)."""
    if job.replace:
        # Present in the file (unchanged, or rejected this time): not withdrawn by --replace.
        present = [e.local_id for e in batch.rejected if e.local_id]
        SourceRecord.objects.filter(
            Q(pk__in=batch.unchanged_ids) | Q(library=job.library, local_id__in=present)
        ).update(last_job=job)
    if store is not None:
        store()
    ImportRecordError.objects.bulk_create(
        [
            ImportRecordError(
                job=job,
                record_number=e.number,
                local_id=e.local_id[:100],
                reason=e.error,
                reason_data=e.error.as_data() if isinstance(e.error, ImportMessage) else {},
            )
            for e in batch.rejected
        ]
    )
    ImportJob.objects.filter(pk=job.pk).update(
        processed=F("processed") + size,
        total=F("total") + size,
        bytes_read=end,
        rejected=F("rejected") + len(batch.rejected),
        **{k: F(k) + v for k, v in counts.items() if v},
    )


def _store(
    library: Library,
    job: ImportJob,
    new: list[ParsedRecord],
    changed: list[ParsedRecord],
    *,
    pending: Stored | None = None,
    stored: Stored | None = None,
) -> tuple[int, Callable[[], None]]:
    """Match, and plan the writes of sources, holdings and the touched BibRecords.
    Returns how many new records joined a record described by another source, and the
    writes.

    New BibRecords are written once, complete (fields, search document, holding arrays,
    preferred source: ids are taken from the sequences first; foreign keys are deferred);
    existing ones that gained or lost a source are recomputed with one UPDATE. Records
    that only gain new sources are derived here from what is stored (and ``pending``);
    when source records change, the BibRecords are derived again inside the writes, once
    the changed sources are written.
    """
    records = new + changed
    assignments, joined, candidates = assign(records, pending=pending)
    now = timezone.now()
    stamp = Rendered(copy_value(now))
    created, groups = _take_ids(records, new, assignments)
    stored = stored if stored is not None else Stored()
    # A new record's holding arrays: this library's, or none if it holds no live copy.
    held = _Arrays([library.pk], [library.province_number])
    fresh = [_fresh_line(bib, group, held, stamp, stored) for bib, group in groups.items()]
    for r in new:
        stored.sources[r.bib_id].append((r.source_id, r.richness, r.fields))
    sources = _source_writes(library, job, new, changed, stamp)
    holdings = _store_holdings(library, new, changed, stamp, now)
    affected = {r.bib_id for r in records if r.bib_id not in created}
    affected |= {r.old_bib for r in changed if r.old_bib}
    bibs = None
    if not changed:
        extended = _extended_rows(library, affected, new, candidates, now, stored=stored)
        bibs = derive.recompute_plan(
            affected - extended.keys(),
            extra_rows=extended.values(),
            new_lines=fresh,
            more_sources=(pending.sources, stored.sources) if pending is not None else (stored.sources,),
            stored=stored,
        )

    def write() -> None:
        sources()
        holdings()
        if bibs is not None:
            derive.recompute_write(*bibs)
        else:  # sources changed: derived again from every source, as now written
            derive.bib_records_recompute(bib_ids=affected, sync_holdings=False, new_lines=fresh)

    return sum(1 for r in new if id(r) in joined), write


def _take_ids(
    records: list[ParsedRecord], new: list[ParsedRecord], assignments: dict[int, int]
) -> tuple[set[int], dict[int, list[ParsedRecord]]]:
    """Ids for the new source records and the new BibRecords (from the sequences), set on
    the records (source_id, bib_id); returns the new BibRecords' ids and their records."""
    placeholders = sorted({b for b in assignments.values() if b < 0}, reverse=True)
    new_bib_ids, new_source_ids = next_ids(
        ("catalogue_bibrecord", len(placeholders)), ("catalogue_sourcerecord", len(new))
    )
    real = dict(zip(placeholders, new_bib_ids, strict=True))
    for r, sid in zip(new, new_source_ids, strict=True):
        r.source_id = sid
    groups: dict[int, list[ParsedRecord]] = {real[p]: [] for p in placeholders}
    for r in records:
        bib = assignments[id(r)]
        r.bib_id = real.get(bib, bib)
        if bib < 0:
            groups[r.bib_id].append(r)
    return set(new_bib_ids), groups


class _Arrays:
    """Holding arrays (library ids, province numbers), rendered once for a whole batch."""

    __slots__ = ("lists", "text")

    def __init__(self, libraries: list[int], provinces: list[int]) -> None:
        self.lists = (libraries, provinces)
        self.text = (Rendered(copy_value(libraries)), Rendered(copy_value(provinces)))


_NO_ARRAYS = _Arrays([], [])


def _fresh_line(bib: int, group: list[ParsedRecord], held: _Arrays, stamp: str, stored: Stored) -> str:
    """The staging line of a new BibRecord made of these records (noted in ``stored``)."""
    arrays = held if any(r.held for r in group) else _NO_ARRAYS
    if len(group) == 1:  # usual case: rendered by the parser
        only = group[0]
        preferred, fields, keys, own = (only.source_id, only.richness), only.fields, only.keys, only.bib_copy
    else:
        sources = [(r.source_id, r.richness, r.fields) for r in group]
        source_id, fields, keys = merge_sources(sources)
        preferred = (source_id, next(s[1] for s in sources if s[0] == source_id))
        own = bib_own_text(fields, keys)
    stored.bib(bib, fields, keys, preferred, arrays.lists)
    return fresh_row(bib, own, arrays.text, preferred, stamp)


def _source_writes(
    library: Library, job: ImportJob, new: list[ParsedRecord], changed: list[ParsedRecord], stamp: str
) -> Callable[[], None]:
    """The writes of a batch's source records: new ones by COPY, changed ones (a
    re-import) rewritten from their staging table."""
    new_lines = [
        SOURCE_INSERT.line(
            r.source_copy,
            id=r.source_id,
            library_id=library.pk,
            bib_record_id=r.bib_id,
            withdrawn=False,
            last_job_id=job.pk,
            created_at=stamp,
            updated_at=stamp,
        )
        for r in new
    ]
    changed_lines = [
        SOURCE_STAGE.line(r.source_copy, id=r.source_id, bib=r.bib_id, job=job.pk, now=stamp) for r in changed
    ]

    def write() -> None:
        with connection.cursor() as cursor:
            if new_lines:
                SOURCE_INSERT.load(cursor, new_lines)
            if changed_lines:
                cursor.execute(SOURCE_STAGE_SQL)
                cursor.execute("DELETE FROM ish_source_stage")
                SOURCE_STAGE.load(cursor, changed_lines)
                cursor.execute(
                    "UPDATE catalogue_sourcerecord AS s SET bib_record_id = v.bib, marc = v.marc,"
                    " source_format = v.source_format, checksum = v.checksum, withdrawn = false, data = v.data,"
                    " richness = v.richness, last_job_id = v.job, updated_at = v.now"
                    " FROM ish_source_stage AS v WHERE s.id = v.id"
                )

    return write


def _extended_rows(
    library: Library,
    affected: set[int],
    new: list[ParsedRecord],
    candidates: dict,
    now,
    *,
    stored: Stored,
) -> dict[int, str]:
    """Update rows (by record, as staging lines) for records that only gained new sources
    in this batch, merged into the stored record (``candidates``: as stored, or as the
    batch being written stores it) instead of re-reading every source (whose number grows
    with the number of libraries holding the title). Exactly what bib_records_recompute
    derives: sources merge in id order, the new sources have the highest ids, and they are
    appended last unless one of them is richer than the preferred source (then the caller
    recomputes from every source). Only for batches of new records."""
    joining: dict[int, list[ParsedRecord]] = defaultdict(list)
    for r in new:
        if r.bib_id in affected:
            joining[r.bib_id].append(r)
    rows: dict[int, str] = {}
    for bib, group in joining.items():
        record = candidates.get(bib)
        if record is not None and _only_appended(record, group):
            rows[bib] = _extended_row(library, bib, record, group, now, stored)
    return rows


def _only_appended(record: dict, group: list[ParsedRecord]) -> bool:
    """Whether the joining sources leave the stored record's preferred source preferred
    (none richer, nor as rich with a lower id), so that they only fill its empty fields."""
    pid, richness = record["preferred_source_id"], record["preferred_richness"]
    if richness is None or pid is None:
        return False
    return not any(r.richness > richness or (r.richness == richness and r.source_id < pid) for r in group)


def _extended_row(
    library: Library, bib: int, record: dict, group: list[ParsedRecord], now, stored: Stored
) -> str:
    """The staging line of a stored record that these new sources join (_only_appended)."""
    preferred = (record["preferred_source_id"], record["preferred_richness"])
    fields = {c: record[c] for c in BIB_FIELDS}
    described = [fields[c] for c in DOCUMENT_FIELDS]
    keys = list(record["match_keys"])
    for r in sorted(group, key=lambda r: r.source_id):
        merge_fields_into(fields, r.fields)
        for key in r.keys:
            if key not in keys:
                keys.append(key)
    # The holding arrays as the aggregate over the holdings would give them: the
    # stored ones (kept current with every holdings change) and this library's.
    arrays = None
    if record.get("library_ids") is not None:
        libraries, provinces = set(record["library_ids"]), set(record["province_ids"])
        if any(r.held for r in group):
            libraries.add(library.pk)
            provinces.add(library.province_number)
        arrays = (sorted(libraries), sorted(provinces))
    # Sources that join fill only empty fields: mostly the search document stays.
    same = described == [fields[c] for c in DOCUMENT_FIELDS]
    stored.bib(bib, fields, keys, preferred, arrays)
    return update_row(bib, fields, keys, preferred, now, arrays, same_document=same)


def _store_holdings(
    library: Library, new: list[ParsedRecord], changed: list[ParsedRecord], stamp: str, now
) -> Callable[[], None]:
    """The writes of a batch's holdings: new ones by COPY (lines rendered by the parser,
    ids added here); a changed record's holdings are matched to the stored ones by holding
    key and updated in place (read now: such batches are planned on committed data)."""
    rows = []
    for r in new:
        rest = _holding_rest(library, r, stamp)
        rows += [f"{head}\t{rest}" for head in r.holding_copy]
    updates, gone = [], []
    if changed:
        existing: dict[int, dict[str, int]] = defaultdict(dict)
        for hid, sid, key in Holding.objects.filter(source_id__in=[r.source_id for r in changed]).values_list(
            "id", "source_id", "holding_key"
        ):
            existing[sid][key] = hid
        for r in changed:
            mine = existing.get(r.source_id, {})
            kept = set()
            rest = _holding_rest(library, r, stamp)
            for (key, h), head in zip(r.holdings, r.holding_copy, strict=True):
                if key in mine:
                    kept.add(key)
                    updates.append(
                        (
                            mine[key],
                            r.bib_id,
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
                    rows.append(f"{head}\t{rest}")
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
                HOLDING_INSERT.load(cursor, rows)

    return write


def _holding_rest(library: Library, record: ParsedRecord, stamp: str) -> str:
    """The columns every holding of a record shares (after the parser's HOLDING_OWN)."""
    return HOLDING_INSERT.rest_text(
        source_id=record.source_id,
        library_id=library.pk,
        bib_record_id=record.bib_id,
        created_at=stamp,
        updated_at=stamp,
    )
