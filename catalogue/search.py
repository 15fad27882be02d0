"""Union catalogue search: one SQL statement returns the page of hits, the exact total
and every facet's counts (docs/performance.md, "Search").

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
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from catalogue.crossscript import KEY_TERM_PATTERN
from catalogue.languages import language_label
from catalogue.models import Format, SearchTerm
from catalogue.normalize import fold
from catalogue.query import ParsedQuery, QueryError, parse_query, spaceless_variants, words_query
from members.models import LIBRARY_CODE_RE, PROVINCE_NUMBERS, Province, library_name_in

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deep pages: past 1,000 hits nobody reads on; refining the search is the way on. The cap
# keeps OFFSET (a top-N sort over the matches already in memory) cheap.
MAX_RESULTS_REACHABLE = 1000
FEW_RESULTS = 3  # below this, suggest a spelling and (Urdu) retry with spaces ignored
SUBJECT_FACET_SIZE = 15

SORTS = {
    "relevance": _("Relevance"),
    "year": _("Newest first"),
    "year_asc": _("Oldest first"),
    "title": _("Title A–Z"),
}
FACETS = ("library", "province", "format", "language", "decade", "subject")
_PROVINCE_BY_NUMBER = {n: code for code, n in PROVINCE_NUMBERS.items()}
_DECADE_RE = re.compile(r"^(pre1900|1[9]\d0|20\d0)$")
_LANGUAGE_RE = re.compile(r"^[a-z]{3}$")
_LIBRARY_CODE = re.compile(LIBRARY_CODE_RE)

SORT_UNKNOWN = _("Unknown sort %(sort)s: choose one of %(choices)s.")
PAGE_INVALID = _("Page must be a whole number from 1; got %(page)s.")
PAGE_TOO_DEEP = _(
    "Only the first %(max)d results can be paged through; page %(page)d is past that. Refine your search."
)
FACET_UNKNOWN = _("Unknown %(facet)s %(value)s was ignored.")


@dataclass
class SearchFilters:
    library: list[str] = field(default_factory=list)  # library codes
    province: list[str] = field(default_factory=list)  # province codes (PB, SD, ...)
    format: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    decade: list[str] = field(default_factory=list)  # "1990", "pre1900"
    subject: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in FACETS)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class HoldingLibrary:
    code: str
    name: str
    city: str
    province: str
    name_ur: str = ""
    city_ur: str = ""

    @property
    def local_city(self) -> str:
        """The city in the reader's language (members.models.library_name_in)."""
        return library_name_in(self.city, self.city_ur)


@dataclass
class Hit:
    id: int
    title: str
    title_vernacular: str
    subtitle: str
    authors: list[str]
    year: int | None
    edition: str
    publisher: str
    format: str
    format_label: str
    language: str
    isbns: list[str]
    libraries: list[HoldingLibrary]
    rank: float


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    sort: str
    facets: dict[str, list[FacetValue]]
    filters: SearchFilters
    browse: bool = False
    suggestion: str | None = None
    spaces_ignored: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        reachable = min(self.total, MAX_RESULTS_REACHABLE)
        return max(1, -(-reachable // self.page_size))

    @property
    def start(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.hits else 0

    @property
    def end(self) -> int:
        return (self.page - 1) * self.page_size + len(self.hits)


# --- input checking --------------------------------------------------------------


def check_sort(sort: str | None) -> str:
    sort = (sort or "relevance").strip()
    if sort not in SORTS:
        raise QueryError(
            str(SORT_UNKNOWN % {"sort": repr(sort[:40]), "choices": ", ".join(SORTS)}), code="invalid_sort"
        )
    return sort


def check_page(page: Any, page_size: int = PAGE_SIZE) -> int:
    """A page number within reach, or QueryError."""
    if page in (None, ""):
        return 1
    try:
        number = int(str(page).strip())
    except ValueError:
        raise QueryError(str(PAGE_INVALID % {"page": repr(str(page)[:20])}), code="invalid_page") from None
    if number < 1:
        raise QueryError(str(PAGE_INVALID % {"page": number}), code="invalid_page")
    if (number - 1) * page_size >= MAX_RESULTS_REACHABLE:
        raise QueryError(
            str(PAGE_TOO_DEEP % {"max": MAX_RESULTS_REACHABLE, "page": number}), code="page_too_deep"
        )
    return number


def clean_filters(raw: SearchFilters, notes: list[str]) -> SearchFilters:
    """Drop malformed facet values (each named in a note).

    Library codes are only checked for shape here; whether such a library exists is
    answered by the search statement itself, so a search stays one statement.
    """
    cleaned = SearchFilters()
    checks = {
        "library": lambda v: bool(_LIBRARY_CODE.match(v)),
        "province": lambda v: v in PROVINCE_NUMBERS,
        "format": lambda v: v in Format.values,
        "language": lambda v: bool(_LANGUAGE_RE.match(v)),
        "decade": lambda v: bool(_DECADE_RE.match(v)),
        "subject": lambda v: 0 < len(v) <= 300,
    }
    for name, ok in checks.items():
        values = list(dict.fromkeys(v.strip() for v in getattr(raw, name) if v is not None))[:50]
        kept = []
        for value in values:
            if value and "\x00" not in value and ok(value):
                kept.append(value)
            elif value:
                notes.append(str(FACET_UNKNOWN % {"facet": name, "value": repr(value[:40])}))
        setattr(cleaned, name, kept)
    return cleaned


# --- the statement ---------------------------------------------------------------


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


# --- running it --------------------------------------------------------------------


def _run(
    query: ParsedQuery,
    filters: SearchFilters,
    *,
    sort: str,
    page: int,
    page_size: int,
    notes: list[str],
) -> tuple[list[Hit], int, dict[str, list[FacetValue]]]:
    offset = (page - 1) * page_size
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
            filters, cached, raw, total=total, version=version, library_ids=sorted(known_libraries.values())
        )
    hits = [_hit(hits_by_pos[pos], library_info) for pos in sorted(hits_by_pos)]
    for code in filters.library:
        if code not in known_libraries:
            note = str(FACET_UNKNOWN % {"facet": "library", "value": repr(code[:40])})
            if note not in notes:
                notes.append(note)
    # Unknown codes were ignored by the statement itself (and all of them: the whole filter).
    filters.library = [code for code in filters.library if code in known_libraries]
    return hits, total or 0, _facets(_by_code(raw, library_info), filters, library_info)


def _by_code(raw: dict[str, dict[str, int]], library_info: dict[int, dict]) -> dict[str, dict[str, int]]:
    """Library and province counts keyed by their codes instead of their numbers."""
    counts = dict(raw)
    counts["library"] = {
        library_info[int(key)]["code"]: n for key, n in raw["library"].items() if int(key) in library_info
    }
    counts["province"] = {
        _PROVINCE_BY_NUMBER[int(key)]: n
        for key, n in raw["province"].items()
        if int(key) in _PROVINCE_BY_NUMBER
    }
    return counts


def _hit(data: dict, library_info: dict[int, dict]) -> Hit:
    libraries = [
        HoldingLibrary(
            code=info["code"],
            name=info["name"],
            name_ur=info.get("name_ur") or "",
            city=info["city"],
            city_ur=info.get("city_ur") or "",
            province=str(Province(info["province"]).label),
        )
        for lib_id in data["library_ids"] or []
        if (info := library_info.get(lib_id))
    ]
    return Hit(
        id=data["id"],
        title=data["title"],
        title_vernacular=data["title_vernacular"] or "",
        subtitle=data["subtitle"] or "",
        authors=data["authors"] or [],
        year=data["year"],
        edition=data["edition"] or "",
        publisher=data["publisher"] or "",
        format=data["format"],
        format_label=str(Format(data["format"]).label) if data["format"] in Format.values else data["format"],
        language=data["language"] or "",
        isbns=data["isbns"] or [],
        libraries=sorted(libraries, key=lambda lib: lib.name),
        rank=float(data["rank"] or 0),
    )


def _decade_label(value: str) -> str:
    return gettext("Before 1900") if value == "pre1900" else gettext("%(decade)ss") % {"decade": value}


def _facets(
    counts: dict[str, dict[str, int]], filters: SearchFilters, library_info: dict[int, dict]
) -> dict[str, list[FacetValue]]:
    names = {
        info["code"]: library_name_in(info["name"], info.get("name_ur") or "")
        for info in library_info.values()
    }
    labels = {
        "library": lambda v: names.get(v, v),
        "province": lambda v: str(Province(v).label) if v in Province.values else v,
        "format": lambda v: str(Format(v).label) if v in Format.values else v,
        "language": language_label,
        "decade": _decade_label,
        "subject": lambda v: v,
    }
    out: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        selected = set(getattr(filters, name))
        values = {v: n for v, n in counts[name].items() if n > 0 and v != ""}
        for value in selected:
            values.setdefault(value, 0)
        items = [FacetValue(v, labels[name](v), n, v in selected) for v, n in values.items()]
        if name == "decade":
            items.sort(key=lambda f: "0" if f.value == "pre1900" else f.value, reverse=True)
        else:
            items.sort(key=lambda f: (not f.selected, -f.count, f.label))
        out[name] = items
    return out


def search_catalogue(
    *,
    q: str | None = "",
    filters: SearchFilters | None = None,
    sort: str | None = "relevance",
    page: Any = 1,
    page_size: int = PAGE_SIZE,
) -> SearchResult:
    """Ranked, faceted search of the union catalogue (QueryError on input it cannot run)."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    sort = check_sort(sort)
    page = check_page(page, page_size)
    parsed = parse_query(q)
    notes = list(parsed.notes)
    filters = clean_filters(filters or SearchFilters(), notes)
    hits, total, facets = _run(parsed, filters, sort=sort, page=page, page_size=page_size, notes=notes)
    result = SearchResult(
        query=parsed.raw,
        hits=hits,
        total=total,
        page=page,
        page_size=page_size,
        sort=sort,
        facets=facets,
        filters=filters,
        browse=parsed.is_empty,
        notes=notes,
    )
    if parsed.is_empty or total >= FEW_RESULTS:
        return result
    if (variant := spaceless_variants(parsed)) is not None:
        v_hits, v_total, v_facets = _run(
            variant, filters, sort=sort, page=page, page_size=page_size, notes=notes
        )
        if v_total > total:
            result.hits, result.total, result.facets = v_hits, v_total, v_facets
            result.spaces_ignored = True
    if result.total < FEW_RESULTS:
        result.suggestion = suggest_query(parsed)
    return result


# --- spelling suggestions ----------------------------------------------------------

SUGGESTION_MIN_SCORE = 75


def suggest_query(parsed: ParsedQuery) -> str | None:
    """The user's query with unknown words replaced by the closest catalogue words, or None."""
    words = list(dict.fromkeys(w for w in parsed.positive_words() if len(w) >= 3))[:8]
    if not words:
        return None
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    replacements: dict[str, str] = {}
    for word in words:
        if word in known:
            continue
        candidates = dict(
            SearchTerm.objects.filter(
                head=word[0], length__gte=len(word) - 2, length__lte=len(word) + 2
            ).values_list("word", "documents")[:20000]
        )
        if not candidates:
            continue
        scored = process.extract(
            word, list(candidates), scorer=fuzz.ratio, limit=5, score_cutoff=SUGGESTION_MIN_SCORE
        )
        if scored:
            best = max(scored, key=lambda c: (round(c[1]), candidates[c[0]]))
            replacements[word] = best[0]
    if not replacements:
        return None
    return _replace_words(parsed.raw, replacements)


def _replace_words(raw: str, replacements: dict[str, str]) -> str:
    """Replace whole words of the user's text whose folded form was corrected."""

    def swap(match: re.Match) -> str:
        token = match.group(0)
        prefix = ""
        if ":" in token:
            prefix, _sep, token = token.partition(":")
            prefix += ":"
        folded = fold(token)
        if folded in replacements:
            return prefix + replacements[folded]
        parts = folded.split()
        if parts and any(p in replacements for p in parts):
            return prefix + " ".join(replacements.get(p, p) for p in parts)
        return match.group(0)

    return re.sub(r"[^\s()\"]+", swap, raw)


# A search-document term worth suggesting: a word of 2 to 60 letters, not a cross-script
# key (an index term, not a word; its pattern is the query's parameter).
_SUGGESTIBLE = "length(word) BETWEEN 2 AND 60 AND word !~ %s"


def refresh_vocabulary() -> int:
    """Rebuild the suggestion vocabulary from the search documents; returns the word count."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalogue_searchterm")
        cursor.execute(
            f"""
            INSERT INTO catalogue_searchterm (word, documents, head, length)
            SELECT word, ndoc, left(word, 1), length(word)
            FROM ts_stat('SELECT search_document FROM catalogue_bibrecord WHERE search_document IS NOT NULL')
            WHERE {_SUGGESTIBLE}
            """,  # noqa: S608 - constant SQL text; the pattern is a parameter
            [KEY_TERM_PATTERN],
        )
        return cursor.rowcount


# Words of the records an import job wrote, added to the vocabulary as the job ends: a
# fresh install or a just-imported catalogue suggests at once. A word already known keeps
# the larger of its two counts (records the job merged were counted before); the nightly
# refresh_vocabulary recounts exactly.
_LEARN_SQL = f"""
INSERT INTO catalogue_searchterm (word, documents, head, length)
SELECT word, count(*), left(word, 1), length(word)
FROM catalogue_bibrecord b, unnest(tsvector_to_array(b.search_document)) AS word
WHERE b.id IN (SELECT bib_record_id FROM catalogue_sourcerecord WHERE last_job_id = %s)
  AND {_SUGGESTIBLE}
GROUP BY word
ON CONFLICT (word) DO UPDATE SET documents = GREATEST(catalogue_searchterm.documents, EXCLUDED.documents)
"""  # noqa: S608 - constant SQL text; values are parameters


def vocabulary_learn(*, job_id: int) -> int:
    """Add the words of the records this import job wrote to the suggestion vocabulary."""
    with connection.cursor() as cursor:
        cursor.execute(_LEARN_SQL, [job_id, KEY_TERM_PATTERN])
        return cursor.rowcount


__all__ = [
    "FACETS",
    "SORTS",
    "FacetValue",
    "Hit",
    "QueryError",
    "SearchFilters",
    "SearchResult",
    "refresh_vocabulary",
    "search_catalogue",
    "suggest_query",
    "vocabulary_learn",
    "words_query",
]
