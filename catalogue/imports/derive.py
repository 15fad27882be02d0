"""BibRecords derived from their source records: fields merged from every source (the
preferred one first), match keys, search document and holding arrays, written through a
staging table loaded with COPY (catalogue.imports.copy)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from catalogue import indexing, matching
from catalogue.imports.tables import BIB_FIELDS, BIB_STAGE, BIB_STAGE_SQL
from catalogue.indexing import PROVINCE_CODES
from catalogue.models import BibRecord
from catalogue.tombstones import bib_records_tombstone

_LIST_FIELDS = ("isbns", "issns", "oclc_numbers")
_CASTS = {
    "authors": "::text[]",
    "isbns": "::varchar[]",
    "issns": "::varchar[]",
    "oclc_numbers": "::varchar[]",
    "subjects": "::text[]",
    "year": "::smallint",
}

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
BIB_INSERT_ONE_SQL = _BIB_INSERT_SQL.replace("%s", _BIB_TEMPLATE, 1)
_PROVINCES_SQL = "ARRAY[" + ", ".join(f"'{code}'" for code in PROVINCE_CODES) + "]::text[]"
_DOCUMENT_EXPR = indexing.document_expression("v.da", "v.db", "v.dc", "v.dd")
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


def _stage(cursor, lines: list[str]) -> None:
    """Load rows (BIB_STAGE lines) into the staging table, emptied at commit and before
    each load (a caller's transaction may recompute several times)."""
    cursor.execute(BIB_STAGE_SQL)
    cursor.execute("DELETE FROM ish_bib_stage")
    BIB_STAGE.load(cursor, lines)


def next_ids(*wanted: tuple[str, int]) -> list[list[int]]:
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
DOCUMENT_FIELDS = indexing.DOCUMENT_FIELDS


def document_parts(fields: dict) -> tuple[str, str, str, str]:
    """catalogue.indexing.document_parts with the import's cached fold (same output)."""
    return indexing.document_parts(fields, fold=matching.fold)


def bib_values(fields: dict) -> list:
    """A record's BIB_FIELDS as stored (empty text or list, not None; year may be None)."""
    return [fields.get(c) if c == "year" else fields.get(c) or _empty(c) for c in BIB_FIELDS]


def bib_columns(fields: dict) -> dict[str, Any]:
    """A record's BIB_FIELDS by name, as stored (bib_values)."""
    return dict(zip(BIB_FIELDS, bib_values(fields), strict=True))


def bib_row(fields: dict, now) -> tuple:
    return (
        *bib_values(fields),
        matching.match_key(fields),
        matching.block_keys(fields),
        now,
        now,
    )


def _empty(column: str) -> Any:
    return [] if column in ("authors", "isbns", "issns", "oclc_numbers", "subjects") else ""


def merge_fields_into(fields: dict, data: dict) -> None:
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
        merge_fields_into(fields, data)
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
    recompute_write(*recompute_plan(ids, extra_rows=extra_rows, new_lines=new_lines))


def recompute_plan(
    bib_ids: Iterable[int],
    *,
    extra_rows: Iterable[str] = (),
    new_lines: Iterable[str] = (),
    more_sources: Iterable[dict[int, list[tuple[int, int, dict]]]] = (),
    stored: Stored | None = None,
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
        rows.append(update_row(bib, fields, keys, (preferred, richness), now))
        if stored is not None:
            stored.bib(bib, fields, keys, (preferred, richness) if live else None)
    return rows, list(new_lines), empty


def recompute_write(rows: list[str], new_lines: list[str], empty: list[int]) -> None:
    """Write what recompute_plan derived (update and new staging lines, rendered by the
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


def bib_own_text(fields: dict, keys: list[str], *, document: bool = True) -> str:
    """A record's own staging columns (BIB_OWN) as COPY text: its fields, match keys and
    search-document texts (``document=False``: NULL, the stored document is kept)."""
    da, db, dc, dd = document_parts(fields) if document else (None, None, None, None)
    return BIB_STAGE.head_text(
        **bib_columns(fields),
        match_key=matching.match_key(fields),
        match_keys=keys,
        da=da,
        db=db,
        dc=dc,
        dd=dd,
    )


def update_row(
    bib: int,
    fields: dict,
    keys: list[str],
    preferred: tuple[int, int | None],
    now,
    arrays: tuple[list, list] | None = None,
    *,
    same_document: bool = False,
) -> str:
    """A staging line rewriting an existing record; ``preferred``: its preferred source's
    id and richness (None when that source is withdrawn); its holding arrays aggregated
    from the holdings unless given (``arrays``); its search document kept as stored when
    the fields it is made of are unchanged (``same_document``: the document parts are NULL)."""
    libraries, provinces = arrays or (None, None)
    return BIB_STAGE.line(
        bib_own_text(fields, keys, document=not same_document),
        id=bib,
        library_ids=libraries,
        province_ids=provinces,
        preferred=preferred[0],
        richness=preferred[1],
        now=now,
        fresh=False,
    )


def fresh_row(bib: int, own_text: str, arrays: tuple[Any, Any], preferred: tuple[int, int], now) -> str:
    """A staging line inserting a new record: its own columns (bib_own_text, or as the
    parser rendered them), its holding arrays and preferred source."""
    libraries, provinces = arrays
    return BIB_STAGE.line(
        own_text,
        id=bib,
        library_ids=libraries,
        province_ids=provinces,
        preferred=preferred[0],
        richness=preferred[1],
        now=now,
        fresh=True,
    )


class Stored:
    """What a batch stores, as the next batch's plan must see it while the batch may not
    be committed yet: its BibRecords as candidates (columns as CANDIDATE_FIELDS, with
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
            **bib_columns(fields),
        }
