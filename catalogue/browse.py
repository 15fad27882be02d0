"""Browsing the union catalogue without a query: the newest additions (or any sort) with
facet counts exact for the whole catalogue, in one SQL statement per request.

Counting facets by scanning records costs 2-3 µs a record here even with a narrow
scan (0.4 s for the 250,000 records of the largest library at 1,000,000 records, 1.6 s
for the 80% that are books), so browsing reads counts that are kept or remembered:

* No filter: every count, the total and the subject top 15 are read from the counts kept
  by triggers (catalogue.facet_counts), a few hundred rows by primary key.
* Filters: counts are disjunctive exactly as in query mode (catalogue.search): each facet
  is counted under every *other* facet's filter. With one filtered facet its own counts
  are the kept, unfiltered ones. The rest are counted over the records that pass the
  filters (all but at most one, when several facets are filtered) and remembered in the
  cache with the catalogue version they were counted at and the ids the chosen library
  codes resolved to. Every record so counted carries one of the chosen values, and the
  kept counts stamp each value with the version of the last write to a record carrying
  it; so the statement is given the remembered version and counts again only if one of
  the chosen values has a newer stamp (or the codes resolve otherwise). That test is a
  one-time filter on an InitPlan: current counts cost nothing, stale ones are counted
  by the same statement. Hits are always read fresh, newest first through the
  primary key (ids follow creation).

Why not cross counts (pairs of facet values) kept by the triggers too: exact for one
facet with one value only (two chosen libraries double-count the records both hold),
nothing for two facets, and the pairs with subjects are ~600,000 rows at 1M records that
every import batch would update (~33 increments a record).

Measured at 1,000,000 records (benchmarks/search_bench.py, 2 shared cores, load 3-4):
unfiltered browse p50 2.5 ms for the statement, 11 ms through the API; filtered and
remembered p50 13 ms, p95 35-64 ms; filtered and counted (the first browse after a
write to records carrying the chosen values) p50 0.4-0.9 s, p95 1.7-1.9 s, worst 2.1 s,
linear in the records passing all filters but one (up to 810,000 here). During an import
the popular values are written by every batch, so browses of those count once per batch
(26 of 37 filtered browses after a 1,000-record batch of one library); the rest stay
remembered.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection

from catalogue.facet_counts import RECORDS_SQL, VERSION_SQL
from catalogue.search.backends.postgres import filter_exprs
from catalogue.search.types import FACETS, SUBJECT_FACET_SIZE, SearchFilters
from members.models import PROVINCE_NUMBERS

logger = logging.getLogger(__name__)

# Validity is decided by the catalogue version; the timeout only lets unused entries go.
CACHE_SECONDS = 24 * 3600
_ORDER = {
    "relevance": "b.id DESC",  # no query: newest additions first (ids follow creation)
    "year": "b.year DESC NULLS LAST, b.id DESC",
    "year_asc": "b.year ASC NULLS LAST, b.id",
    "title": "lower(b.title), b.id",
}
_SCALAR = ("format", "language", "decade")


@dataclass
class Counted:
    """Facet counts of a filtered browse as counted at one catalogue version."""

    version: int
    library_ids: list[int]  # what the chosen library codes resolved to
    total: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # as the statement emits them


class _NamedSql:
    """Parameters by name, so one filter's SQL can appear in several parts of the statement."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"


def filtered_facets(filters: SearchFilters) -> list[str]:
    return [name for name in FACETS if getattr(filters, name)]


def counted_facets(filters: SearchFilters) -> list[str]:
    """Facets counted over the filtered records (the others come from the kept counts)."""
    active = filtered_facets(filters)
    if not active:
        return []
    return [name for name in FACETS if len(active) > 1 or name != active[0]]


def browse_statement(
    filters: SearchFilters, *, sort: str, offset: int, limit: int, cached: Counted | None
) -> tuple[str, dict[str, Any]]:
    """The one statement of a browse; rows as catalogue.search reads them, plus 'version'
    and 'library_info' rows, and a 'total' row only when it counted."""
    sql = _NamedSql()
    exprs = filter_exprs(sql, filters)
    active = filtered_facets(filters)
    where_all = " AND ".join(exprs[name] for name in active) or "TRUE"
    parts = [
        """SELECT 'hit', h.pos::text, NULL::bigint, jsonb_build_object(
    'id', b.id, 'title', b.title, 'title_vernacular', b.title_vernacular, 'subtitle', b.subtitle,
    'authors', b.authors, 'year', b.year, 'edition', b.edition, 'publisher', b.publisher,
    'format', b.format, 'language', b.language, 'isbns', b.isbns, 'library_ids', b.library_ids, 'rank', 0)
  FROM hits h JOIN catalogue_bibrecord b ON b.id = h.id""",
        f"SELECT 'version', NULL, {VERSION_SQL}, NULL",
        "SELECT 'library_info', l.id::text, NULL, jsonb_build_object("
        "'code', l.code, 'name', l.name, 'name_ur', l.name_ur, 'city', l.city, 'city_ur', l.city_ur, 'province', l.province) "
        "FROM members_library l",
    ]
    if filters.library:
        parts.append(
            f"SELECT 'known_library', code, id::bigint, NULL FROM members_library WHERE code = ANY({sql.p(filters.library)})"  # noqa: S608
        )
    kept = [name for name in FACETS if name not in counted_facets(filters)]
    if not active:
        parts.append(f"SELECT 'total', NULL, COALESCE({RECORDS_SQL}, 0), NULL")
    parts += _kept_counts(sql, kept, SUBJECT_FACET_SIZE)
    ctes = [
        f"""hits AS MATERIALIZED (
  SELECT row_number() OVER () AS pos, s.id FROM (
    SELECT b.id FROM catalogue_bibrecord b WHERE {where_all} ORDER BY {_ORDER[sort]}
    LIMIT {int(limit)} OFFSET {int(offset)}
  ) s
)"""  # noqa: S608 - SQL text from constants; user values are parameters
    ]
    if active:
        gate = _gate(sql, filters, cached)
        ctes.append(_filtered_records(sql, filters, exprs, active, gate))
        parts += _counts_over_filtered(active, counted_facets(filters), gate, SUBJECT_FACET_SIZE)
    text = "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(parts)
    return text, sql.params


def kept_counts(facets: list[str], subject_size: int) -> dict[str, dict[str, int]]:
    """The kept counts of these facets over the whole catalogue, as a browse with no filter
    reads them (the tantivy backend's browse reads them here): keyed as stored (libraries
    and provinces by number), subjects the first ``subject_size`` by count, then value."""
    sql = _NamedSql()
    parts = _kept_counts(sql, facets, subject_size)
    found: dict[str, dict[str, int]] = {name: {} for name in facets}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("\nUNION ALL\n".join(parts), sql.params)
            for facet, value, n, _none in cursor.fetchall():
                found[facet][value] = n
    return found


def _kept_counts(sql: _NamedSql, facets: list[str], subject_size: int) -> list[str]:
    parts = []
    plain = [name for name in facets if name != "subject"]
    if plain:
        parts.append(
            "SELECT facet, value, n, NULL FROM catalogue_facetcount"  # noqa: S608 - values are parameters
            f" WHERE facet = ANY({sql.p(plain)}) AND n > 0"
        )
    if "subject" in facets:
        parts.append(
            "(SELECT 'subject', value, n, NULL FROM catalogue_facetcount WHERE facet = 'subject' AND n > 0"  # noqa: S608
            f" ORDER BY n DESC, value LIMIT {int(subject_size)})"
        )
    return parts


def _gate(sql: _NamedSql, filters: SearchFilters, cached: Counted | None) -> str:
    """TRUE when the counts must be counted: nothing remembered; or a record carrying one
    of the chosen values was written since they were counted (every record they count
    carries one: it passes all filters but at most one, and there are at least two, or
    exactly one that it passes); or the counts were emptied since; or the chosen library
    codes resolve otherwise (none resolving: always, the ignored filter passes anything)."""
    if cached is None:
        return "TRUE"
    chosen = [
        (name, str(PROVINCE_NUMBERS[value]) if name == "province" else value)
        for name in FACETS
        if name != "library"
        for value in getattr(filters, name)
    ]
    facets, values = sql.p([f for f, _ in chosen]), sql.p([v for _, v in chosen])
    pairs = f"SELECT * FROM unnest({facets}::text[], {values}::text[])"  # noqa: S608 - parameters
    if filters.library:
        codes = sql.p(filters.library)
        pairs += f" UNION ALL SELECT 'library', id::text FROM members_library WHERE code = ANY({codes})"  # noqa: S608
    written = (
        "(SELECT max(c.changed) FROM catalogue_facetcount c"  # noqa: S608
        f" WHERE (c.facet, c.value) IN ({pairs} UNION ALL SELECT '', 'reset'))"
        f" > {sql.p(cached.version)}::bigint"
    )
    if not filters.library:
        return f"({written})"
    return (
        f"({written} OR NOT EXISTS (SELECT FROM members_library WHERE code = ANY({codes}))"  # noqa: S608
        f" OR ARRAY(SELECT id::int FROM members_library WHERE code = ANY({codes}) ORDER BY id)"
        f" IS DISTINCT FROM {sql.p(cached.library_ids)}::int[])"
    )


def _filtered_records(
    sql: _NamedSql, filters: SearchFilters, exprs: dict[str, str], active: list[str], gate: str
) -> str:
    """The records passing every filter but at most one (one filter: passing it), with a
    flag per filter; the facet counts below read only these."""
    columns = (
        "b.format, b.language, catalogue_decade(b.year) AS decade, b.library_ids, b.province_ids, b.subjects, "
        + ", ".join(f"{exprs[name]} AS f_{name}" for name in active)
    )
    if active == ["library"]:
        # Two arms, so that the GIN index finds the chosen libraries' records; the second
        # (every record, the filter ignored) runs only when none of the codes exists.
        codes = sql.p(filters.library)
        return (
            f"m AS MATERIALIZED (\n  SELECT {columns} FROM catalogue_bibrecord b\n"  # noqa: S608
            f"  WHERE b.library_ids && ARRAY(SELECT id::int FROM members_library WHERE code = ANY({codes}))"
            f" AND {gate}\n  UNION ALL SELECT {columns} FROM catalogue_bibrecord b\n"
            f"  WHERE NOT EXISTS (SELECT FROM members_library WHERE code = ANY({codes})) AND {gate}\n)"
        )
    if len(active) == 1:
        where = exprs[active[0]]
    elif len(active) == 2:
        where = f"({exprs[active[0]]} OR {exprs[active[1]]})"
    else:
        where = " + ".join(f"({exprs[name]})::int" for name in active) + f" >= {len(active) - 1}"
    return (
        f"m AS MATERIALIZED (\n  SELECT {columns}\n  FROM catalogue_bibrecord b WHERE {where} AND {gate}\n)"  # noqa: S608
    )


def _others(active: list[str], facet: str) -> str:
    return " AND ".join(f"f_{name}" for name in active if name != facet) or "TRUE"


def _counts_over_filtered(active: list[str], counted: list[str], gate: str, subject_size: int) -> list[str]:
    parts = [f"SELECT 'total', NULL, (SELECT count(*) FROM m WHERE {_others(active, '')}), NULL WHERE {gate}"]  # noqa: S608
    scalar = [name for name in _SCALAR if name in counted]
    if scalar:
        kind = " ".join(f"WHEN GROUPING({name}) = 0 THEN '{name}'" for name in scalar)
        n = " ".join(
            f"WHEN GROUPING({name}) = 0 THEN count(*) FILTER (WHERE {_others(active, name)})"
            for name in scalar
        )
        sets = ", ".join(f"({name})" for name in scalar)
        parts.append(
            f"SELECT CASE {kind} END, COALESCE({', '.join(scalar)}), CASE {n} END, NULL"  # noqa: S608
            f" FROM m GROUP BY GROUPING SETS ({sets})"
        )
    for name, column in (("province", "province_ids"), ("library", "library_ids")):
        if name in counted:
            parts.append(
                f"SELECT '{name}', v::text, count(*), NULL"  # noqa: S608
                f" FROM (SELECT unnest({column}) AS v FROM m WHERE {_others(active, name)}) x GROUP BY v"
            )
    if "subject" in counted:
        parts.append(
            "(SELECT 'subject', v, count(*), NULL"  # noqa: S608
            f" FROM (SELECT unnest(subjects) AS v FROM m WHERE {_others(active, 'subject')}) x"
            f" WHERE v <> '' GROUP BY v ORDER BY count(*) DESC, v LIMIT {int(subject_size)})"
        )
    return parts


# --- remembering counts ----------------------------------------------------------------


def _key(filters: SearchFilters) -> str:
    """The cache key of a filter combination on this database (Redis may be shared)."""
    chosen = {name: sorted(getattr(filters, name)) for name in FACETS if getattr(filters, name)}
    db = connection.settings_dict
    where = [db.get("HOST"), db.get("PORT"), db.get("NAME")]
    digest = hashlib.sha256(json.dumps([where, chosen], sort_keys=True).encode()).hexdigest()
    return f"catalogue:browse:{digest[:40]}"


def recall(filters: SearchFilters) -> Counted | None:
    """Counts remembered for these filters, whatever their version (the statement checks)."""
    if not counted_facets(filters):
        return None  # no filter: everything is read from the kept counts
    try:
        entry = cache.get(_key(filters))
    except Exception:  # the cache only saves work: without it every browse counts
        logger.warning("Browse counts: cache unavailable", exc_info=True)
        return None
    if not isinstance(entry, dict) or entry.get("version") is None:
        return None
    return Counted(**entry)


def remember(filters: SearchFilters, counted: Counted) -> None:
    try:
        cache.set(_key(filters), counted.__dict__, CACHE_SECONDS)
    except Exception:
        logger.warning("Browse counts: cache unavailable", exc_info=True)


def settle_counts(
    filters: SearchFilters,
    cached: Counted | None,
    raw: dict[str, dict[str, int]],
    *,
    total: int | None,
    version: int | None,
    library_ids: list[int],
) -> int:
    """The browse's total, with ``raw`` (counts as the statement emitted them) completed:
    counted by this statement (a 'total' row came), then remembered; or else current as
    remembered, then filled in from the cache."""
    counted = counted_facets(filters)
    if not counted or total is not None:
        if counted and version is not None:
            remember(
                filters,
                Counted(
                    version=version,
                    library_ids=library_ids,
                    total=total or 0,
                    counts={name: raw[name] for name in counted},
                ),
            )
        return total or 0
    if cached is None:  # cannot happen: without remembered counts the statement counts
        raise RuntimeError("browse statement neither counted nor found remembered counts")
    raw.update({name: dict(cached.counts.get(name, {})) for name in counted})
    return cached.total
