"""One batch of an import: its reads and matching planned by the main thread, its
writes (one transaction) returned to be run by the writer (catalogue.imports.writer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg2.extras import execute_values

from catalogue import matching
from catalogue.import_messages import ImportMessage
from catalogue.imports import derive
from catalogue.imports.candidates import assign
from catalogue.imports.copy import copy_line, copy_rows, copy_value
from catalogue.imports.derive import (
    BIB_FIELDS,
    DOCUMENT_FIELDS,
    SOURCE_COPY_COLUMNS,
    SOURCE_STAGE_SQL,
    Stored,
    bib_values,
    document_parts,
    merge_fields_into,
    merge_sources,
    next_ids,
    update_row,
)
from catalogue.imports.writer import WriteBehind, begin_batch, read_plans
from catalogue.models import Holding, ImportJob, ImportRecordError, SourceRecord
from members.models import Library


def run_batches(job: ImportJob, batches: Iterable[list[dict]]) -> None:
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


def plan_batch(
    job: ImportJob,
    results: list[dict],
    *,
    pending: Stored | None = None,
    settle: Callable[[], None] | None = None,
) -> tuple[Callable[[], None], Stored | None]:
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
    stored = None if changed else Stored()
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


def _store(
    library: Library,
    job: ImportJob | None,
    new: list[dict],
    changed: list[dict],
    *,
    pending: Stored | None = None,
    stored: Stored | None = None,
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
    assignments, merges, candidates = assign(records, pending=pending)
    now = timezone.now()
    placeholders = sorted({b for b in assignments.values() if b < 0}, reverse=True)
    new_bib_ids, new_source_ids = next_ids(
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
    stamp = copy_value(now)
    # A new record's holding arrays: this library's, or none if it holds no live copy.
    held_arrays = ([library.pk], [library.province_number])
    held_text = "\t".join(copy_value(a) for a in held_arrays)
    stored = stored if stored is not None else Stored()
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
            values = (*bib_values(fields), matching.match_key(fields), keys, *document_parts(fields))
            fresh.append(f"{copy_line(values)}\t{real[p]}\t{held}\t{preferred}\t{richness}\t{stamp}\tt")
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
        bibs = derive.recompute_plan(
            affected - extended.keys(),
            extra_rows=extended.values(),
            new_lines=fresh,
            more_sources=(pending.sources, stored.sources) if pending is not None else (stored.sources,),
            stored=stored,
        )

    def write() -> None:
        with connection.cursor() as cursor:
            if new_lines:
                copy_rows(
                    cursor,
                    "catalogue_sourcerecord",
                    SOURCE_COPY_COLUMNS
                    + ", id, library_id, bib_record_id, withdrawn, last_job_id, created_at, updated_at",
                    new_lines,
                )
            if changed_lines:
                cursor.execute(SOURCE_STAGE_SQL)
                cursor.execute("DELETE FROM ish_source_stage")
                copy_rows(
                    cursor, "ish_source_stage", SOURCE_COPY_COLUMNS + ", id, bib, job, now", changed_lines
                )
                cursor.execute(
                    "UPDATE catalogue_sourcerecord AS s SET bib_record_id = v.bib, marc = v.marc,"
                    " source_format = v.source_format, checksum = v.checksum, withdrawn = false, data = v.data,"
                    " richness = v.richness, last_job_id = v.job, updated_at = v.now"
                    " FROM ish_source_stage AS v WHERE s.id = v.id"
                )
        holdings()
        if bibs is not None:
            derive.recompute_write(*bibs)
        else:  # sources changed: derived again from every source, as now written
            derive.bib_records_recompute(bib_ids=affected, sync_holdings=False, new_lines=fresh)

    return merges, write


def _extended_rows(
    library: Library,
    affected: set[int],
    new: list[dict],
    candidates: dict,
    now,
    *,
    pending: Stored | None = None,
    stored: Stored | None = None,
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
        described = [fields[c] for c in DOCUMENT_FIELDS]
        keys = list(record["match_keys"])
        for r in group:
            merge_fields_into(fields, r["fields"])
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
        same = described == [fields[c] for c in DOCUMENT_FIELDS]
        rows[bib] = copy_line(update_row(bib, fields, keys, (pid, richness), now, arrays, same_document=same))
        if stored is not None:
            stored.bib(bib, fields, keys, (pid, richness), arrays)
    return rows


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
                copy_rows(
                    cursor,
                    "catalogue_holding",
                    "holding_key, call_number, location, barcode, item_count, lendable, status, source_id,"
                    " library_id, bib_record_id, created_at, updated_at",
                    rows,
                )

    return write
