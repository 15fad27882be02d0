"""The PostgreSQL backend (the default): one SQL statement returns the page of hits, the
exact total and every facet's counts (docs/performance.md, "Search").

How the statement works: the matching records go into a MATERIALIZED CTE with their
rank and one boolean per facet filter. The page of hits, the total and each facet are
then counted over that CTE. Facets are disjunctive, as in VuFind and Blacklight: values
of one facet combine with OR, facets combine with AND, and a facet's counts apply every
*other* facet's filter, so a user can add a second library without losing the first's
count. Library and province facets unnest the arrays kept on the record
(catalogue.indexing.refresh_holding_arrays); format, language and decade are counted in
one pass with GROUPING SETS.

A search with no query browses the whole catalogue (catalogue.browse): its counts come
from counts kept by triggers (catalogue.facet_counts) and, with filters, from one count
over the filtered records remembered per catalogue version; still one statement, still
exact.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from catalogue.query import ParsedQuery
from catalogue.search.backends.base import Found, SearchBackend
from catalogue.search.results import counts_by_code, facet_values, hit
from catalogue.search.types import FACETS, SUBJECT_FACET_SIZE, SearchFilters, keep_known_libraries
from members.models import PROVINCE_NUMBERS


class _Sql:
    """Builds SQL text and its positional parameters together."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "%s"


def filter_exprs(sql: Any, filters: SearchFilters) -> dict[str, str]:
    """A boolean SQL expression over alias ``b`` per facet (TRUE when not filtered); ``sql``
    is the statement's parameter builder (``p(value)`` returns its placeholder)."""
    exprs = dict.fromkeys(FACETS, "TRUE")
    if filters.library:
        # Codes resolve inside the statement (one && over an array, so the GIN index can
        # serve it); when none of the chosen codes exists the filter is ignored, as the
        # note says (known_library rows), within the same statement.
        exprs["library"] = (
            f"(b.library_ids && ARRAY(SELECT id::int FROM members_library WHERE code = ANY({sql.p(filters.library)}))"  # noqa: S608
            f" OR NOT EXISTS (SELECT FROM members_library WHERE code = ANY({sql.p(filters.library)})))"
        )
    if filters.province:
        numbers = [PROVINCE_NUMBERS[c] for c in filters.province]
        exprs["province"] = f"b.province_ids && {sql.p(numbers)}::smallint[]"
    if filters.format:
        exprs["format"] = f"b.format = ANY({sql.p(filters.format)})"
    if filters.language:
        exprs["language"] = f"b.language = ANY({sql.p(filters.language)})"
    if filters.decade:
        exprs["decade"] = f"({_DECADE_SQL}) = ANY({sql.p(filters.decade)})"
    if filters.subject:
        exprs["subject"] = f"b.subjects && {sql.p(filters.subject)}::text[]"
    return exprs


# The same function counts decades for browsing (migration 0006_facet_counts).
_DECADE_SQL = "catalogue_decade(b.year)"
_ORDER = {
    "relevance": "rank DESC, year DESC NULLS LAST, id DESC",
    "year": "year DESC NULLS LAST, rank DESC, id DESC",
    "year_asc": "year ASC NULLS LAST, rank DESC, id",
    "title": "title_key, id",
}


def _except(exprs: dict[str, str], facet: str) -> str:
    return " AND ".join(f"f_{name}" for name in FACETS if name != facet and exprs[name] != "TRUE") or "TRUE"


def _statement(
    query: ParsedQuery,
    filters: SearchFilters,
    *,
    sort: str,
    offset: int,
    limit: int,
) -> tuple[str, list[Any]]:
    sql = _Sql()
    rank_parts = []
    if rank := query.rank_tsquery():
        rank_parts.append(f"ts_rank(b.search_document, to_tsquery('simple', {sql.p(rank)}))")
        if phrase := query.phrase_tsquery():
            rank_parts.append(
                f"CASE WHEN b.search_document @@ to_tsquery('simple', {sql.p(phrase)}) THEN 1.0 ELSE 0 END"
            )
        if all_words := query.all_words_tsquery():
            rank_parts.append(
                f"CASE WHEN b.search_document @@ to_tsquery('simple', {sql.p(all_words)}) THEN 0.5 ELSE 0 END"
            )
    rank_sql = " + ".join(rank_parts) or "0::real"
    exprs = filter_exprs(sql, filters)
    flag_cols = ", ".join(f"{expr} AS f_{name}" for name, expr in exprs.items())
    condition = query.condition()
    sql.params.extend(condition.params)
    matches = (
        f"SELECT b.id, b.year, b.format, b.language, b.library_ids, b.province_ids, b.subjects, "  # noqa: S608
        f"b.created_at, lower(b.title) AS title_key, {rank_sql} AS rank, {_DECADE_SQL} AS decade, "
        f"{flag_cols} FROM catalogue_bibrecord b WHERE {condition.sql}"
    )
    total_sql = f"SELECT count(*) FROM m WHERE {_except(exprs, '')}"  # noqa: S608
    order = _ORDER[sort]
    # Which of the chosen library codes exist: unknown ones are reported, not an error.
    known_libraries = ""
    known_params: list[Any] = []
    if filters.library:
        known_libraries = "UNION ALL\nSELECT 'known_library', code, id::bigint, NULL FROM members_library WHERE code = ANY(%s)\n"
        known_params = [filters.library]
    all_flags = _except(exprs, "")
    text = f"""
WITH m AS MATERIALIZED ({matches}),
hits AS MATERIALIZED (
  SELECT row_number() OVER () AS pos, s.id, s.rank FROM (
    SELECT id, rank FROM m WHERE {all_flags} ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}
  ) s
),
libf AS MATERIALIZED (
  SELECT l AS library_id, count(*) AS n FROM m, unnest(m.library_ids) AS l
  WHERE {_except(exprs, "library")} GROUP BY l
)
SELECT 'hit', h.pos::text, NULL::bigint, jsonb_build_object(
    'id', b.id, 'title', b.title, 'title_vernacular', b.title_vernacular, 'subtitle', b.subtitle,
    'authors', b.authors, 'year', b.year, 'edition', b.edition, 'publisher', b.publisher,
    'format', b.format, 'language', b.language, 'isbns', b.isbns, 'library_ids', b.library_ids,
    'rank', h.rank)
  FROM hits h JOIN catalogue_bibrecord b ON b.id = h.id
UNION ALL
SELECT 'total', NULL, ({total_sql}), NULL
UNION ALL
SELECT CASE WHEN GROUPING(format) = 0 THEN 'format' WHEN GROUPING(language) = 0 THEN 'language'
            ELSE 'decade' END,
       COALESCE(format, language, decade),
       CASE WHEN GROUPING(format) = 0 THEN count(*) FILTER (WHERE {_except(exprs, "format")})
            WHEN GROUPING(language) = 0 THEN count(*) FILTER (WHERE {_except(exprs, "language")})
            ELSE count(*) FILTER (WHERE {_except(exprs, "decade")}) END,
       NULL
  FROM m GROUP BY GROUPING SETS ((format), (language), (decade))
UNION ALL
SELECT 'province', p::text, count(*), NULL FROM m, unnest(m.province_ids) AS p
  WHERE {_except(exprs, "province")} GROUP BY p
UNION ALL
SELECT 'library', libf.library_id::text, libf.n,
       jsonb_build_object('code', l.code, 'name', l.name, 'name_ur', l.name_ur, 'city', l.city, 'city_ur', l.city_ur,
                          'province', l.province)
  FROM libf JOIN members_library l ON l.id = libf.library_id
UNION ALL
(SELECT 'subject', s, count(*), NULL FROM m, unnest(m.subjects) AS s
  WHERE {_except(exprs, "subject")} GROUP BY s ORDER BY count(*) DESC, s LIMIT {SUBJECT_FACET_SIZE})
{known_libraries}"""  # noqa: S608 - SQL text from constants and whitelisted names; user values are parameters
    return text, sql.params + known_params


class PostgresBackend(SearchBackend):
    """Search by the records' own tsvector and arrays, in the portal's database."""

    name = "postgres"

    def search(
        self,
        query: ParsedQuery,
        filters: SearchFilters,
        *,
        sort: str,
        offset: int,
        limit: int,
        notes: list[str],
    ) -> Found:
        page_size = limit
        if query.is_empty:
            from catalogue import browse  # builds on this module's filter SQL

            cached = browse.recall(filters)
            text, params = browse.browse_statement(
                filters, sort=sort, offset=offset, limit=page_size, cached=cached
            )
        else:
            text, params = _statement(query, filters, sort=sort, offset=offset, limit=page_size)
        with connection.cursor() as cursor:
            cursor.execute(text, params)
            rows = cursor.fetchall()
        hits_by_pos: dict[int, dict] = {}
        total: int | None = None
        version: int | None = None
        # Counts keyed as the statement emits them (library and province by number).
        raw: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        library_info: dict[int, dict] = {}
        known_libraries: dict[str, int] = {}
        for kind, key, n, raw_payload in rows:
            # Django leaves jsonb undecoded (text) on psycopg2 connections.
            payload = json.loads(raw_payload) if isinstance(raw_payload, str) else raw_payload
            if kind == "hit":
                hits_by_pos[int(key)] = payload
            elif kind == "known_library":
                known_libraries[key] = int(n)
            elif kind == "total":
                total = int(n or 0)
            elif kind == "version":
                version = None if n is None else int(n)
            elif kind == "library_info":
                library_info[int(key)] = payload
            elif key is not None:
                if kind == "library" and payload:
                    library_info[int(key)] = payload
                raw[kind][key] = int(n)
        if query.is_empty:
            total = browse.settle_counts(
                filters,
                cached,
                raw,
                total=total,
                version=version,
                library_ids=sorted(known_libraries.values()),
            )
        hits = [hit(hits_by_pos[pos], library_info) for pos in sorted(hits_by_pos)]
        # Unknown codes were ignored by the statement itself (and all of them: the whole filter).
        keep_known_libraries(filters, known_libraries, notes)
        return Found(hits, total or 0, facet_values(counts_by_code(raw, library_info), filters, library_info))

    def search_tree(self, tree: Any, *, offset: int, limit: int) -> tuple[int, list[int]]:
        from catalogue.sru import cql_search  # the tree's SQL lives beside its other node types

        return cql_search.run_tree_sql(tree, offset, limit)
