"""Matching a batch: the candidate BibRecords of its records (one query), and each
record's BibRecord (catalogue.matching decides; cataloguers' decisions are honoured)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from django.db import connection

from catalogue import matching
from catalogue.imports.derive import Stored
from catalogue.imports.tables import BIB_FIELDS

CANDIDATE_FIELDS = (
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
CANDIDATES_SQL = (
    f"SELECT {', '.join(CANDIDATE_FIELDS)} FROM catalogue_bibrecord"  # noqa: S608
    " WHERE id = ANY(ARRAY(SELECT DISTINCT bib_record_id FROM catalogue_matchkey WHERE key = ANY(%s::varchar[])))"
)
_CANDIDATES_BY_ID_SQL = (
    f"SELECT {', '.join(CANDIDATE_FIELDS)} FROM catalogue_bibrecord WHERE id = ANY(%s::bigint[])"  # noqa: S608
)


class Matchable(Protocol):
    """What matching needs of a record: a parsed record, or a stored one being rematched."""

    fields: dict[str, Any]
    keys: list[str]  # matching.block_keys(fields)
    source_id: int | None  # its stored source record, if any
    old_bib: int | None  # the BibRecord that source record belongs to


def assign(
    records: Sequence[Matchable], *, lowest_id: bool = False, pending: Stored | None = None
) -> tuple[dict[int, int], set[int], dict[int, dict]]:
    """BibRecord id (or a negative placeholder) for each record (by id()), the records
    (by id()) that joined a record described by another source, and the candidates as
    stored (id -> columns), or as ``pending`` (the batch being written) stores them; one
    candidate query."""
    keys = sorted({k for r in records for k in r.keys})
    candidates = _candidates(keys, [r.old_bib for r in records if r.old_bib], pending)
    by_key: dict[str, list[int]] = defaultdict(list)
    for bib_id, bib in candidates.items():
        for key in bib["match_keys"]:
            by_key[key].append(bib_id)
    forbidden, forced = _decisions([r.source_id for r in records if r.source_id])
    assignments: dict[int, int] = {}
    joined: set[int] = set()
    placeholder = 0
    for r in records:
        bib_id = _match(r, candidates, by_key, forbidden, forced, lowest_id=lowest_id)
        if bib_id is None:
            placeholder -= 1  # a new record: -1, -2, ...
            bib_id = placeholder
            candidates[bib_id] = {"id": bib_id, **r.fields}
        elif bib_id != r.old_bib:
            joined.add(id(r))  # joined a record described by another source
        for key in r.keys:
            if bib_id not in by_key[key]:
                by_key[key].append(bib_id)
        assignments[id(r)] = bib_id
    return assignments, joined, candidates


def _candidates(keys: list[str], current: list[int], pending: Stored | None) -> dict[int, dict]:
    """The records holding any of these keys, and the records ``current`` (id -> columns),
    as stored or as ``pending`` stores them."""
    candidates: dict[int, dict] = {}
    with connection.cursor() as cursor:
        if keys:
            # With a thousand keys the planner over-estimates the hits and scans the table;
            # the key index is always the right plan here (keys are selective by design):
            # callers set batch_plans for their transaction.
            cursor.execute(CANDIDATES_SQL, [keys])
            for row in cursor.fetchall():
                candidates[row[0]] = dict(zip(CANDIDATE_FIELDS, row, strict=True))
        missing = [b for b in current if b not in candidates]
        if missing:
            cursor.execute(_CANDIDATES_BY_ID_SQL, [missing])
            for row in cursor.fetchall():
                candidates[row[0]] = dict(zip(CANDIDATE_FIELDS, row, strict=True))
    if pending is not None and pending.bibs:
        wanted = set(keys)
        for bib_id, bib in pending.bibs.items():
            if bib_id in candidates or not wanted.isdisjoint(bib["match_keys"]):
                candidates[bib_id] = bib
    return candidates


def _match(
    record: Matchable,
    candidates: dict[int, dict],
    by_key: dict[str, list[int]],
    forbidden: dict[int, set[int]],
    forced: dict[int, int],
    *,
    lowest_id: bool,
) -> int | None:
    """The record a cataloguer joined this source to, else the best-matching candidate."""
    sid = record.source_id
    bib_id = forced.get(sid) if sid else None
    if bib_id is not None and bib_id in candidates:
        return bib_id
    ids = {b for k in record.keys for b in by_key.get(k, ())}
    if record.old_bib:
        ids.add(record.old_bib)
    return matching.best_match(
        record.fields,
        ((b, candidates[b]) for b in sorted(ids)),
        forbidden=forbidden.get(sid, set()) if sid else set(),
        prefer=record.old_bib,
        lowest_id=lowest_id,
    )


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
