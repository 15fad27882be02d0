"""Matching a batch: the candidate BibRecords of its records (one query), and each
record's BibRecord (catalogue.matching decides; cataloguers' decisions are honoured)."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from catalogue import matching
from catalogue.imports.derive import BIB_FIELDS, Stored

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


def assign(
    records: list[dict], *, lowest_id: bool = False, pending: Stored | None = None
) -> tuple[dict[int, int], int, dict[int, dict]]:
    """BibRecord id (or a negative placeholder) for each record, merges, and the candidates
    as stored (id -> columns), or as ``pending`` (the batch being written) stores them;
    one candidate query."""
    keys = sorted({k for r in records for k in r["keys"]})
    current = [r["old_bib"] for r in records if r.get("old_bib")]
    candidates: dict[int, dict] = {}
    fields = CANDIDATE_FIELDS
    with connection.cursor() as cursor:
        if keys:
            # With a thousand keys the planner over-estimates the hits and scans the table;
            # the key index is always the right plan here (keys are selective by design):
            # callers set batch_plans for their transaction.
            cursor.execute(CANDIDATES_SQL, [keys])
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
