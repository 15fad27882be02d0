"""The tantivy backend: the union catalogue searched in an embedded tantivy index
(catalogue.search.backends.tantivy_index), for large catalogues on one machine.

It answers what the PostgreSQL backend answers: the query tree (catalogue.query) becomes a
tantivy query node for node as query.py makes SQL of it (the same words, phrases,
prefixes, fields, cross-script keys and NOTs over the same lexemes), facets are counted
exactly with tantivy's terms aggregations (disjunctively: each filtered facet counted
under every other facet's filter), and the page's records are read from PostgreSQL by id.
Relevance is tantivy's BM25 with the fields weighted as ts_rank weighs them; records of
equal rank may come in another order than PostgreSQL's. Sorts by year and title order
exactly as the PostgreSQL backend does (ties by id); title order is by code point.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from catalogue.crossscript import KEY_PREFIX, KEYED_MARK, word_keys
from catalogue.query import And, Identifier, Not, Or, ParsedQuery, Words
from catalogue.search.backends import tantivy_index
from catalogue.search.backends.base import Found, SearchBackend
from catalogue.search.results import counts_by_code, facet_values, hit
from catalogue.search.types import FACETS, SUBJECT_FACET_SIZE, SearchFilters, keep_known_libraries
from catalogue.sru.cql_search import Everything, MatchKeyed, YearRange
from members.models import PROVINCE_NUMBERS

# ts_rank's default weights for A, B, C, D (title, authors, subjects, other).
FIELD_BOOSTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
# Terms asked of an aggregation: every value of the small facets; for subjects more than
# shown, so that ties at the cut are broken by name as PostgreSQL breaks them.
AGG_SIZES = {"library": 10_000, "province": 1 << 10, "format": 100, "language": 1_000, "decade": 1_000}
# Facets counted from another field: provinces by the set a record is in (one value a record).
AGG_FIELDS = {"province": "province_set"}
# Facets of several values a record, ten times slower to count than one value a record.
SEVERAL_VALUES = {"library", "subject"}
SUBJECT_AGG_SIZE = 200
SEGMENT_SIZE = 65_000  # per-segment terms counted before merging: exact counts
_SORTS = {
    "year": ("year_desc", "Desc"),
    "year_asc": ("year_asc", "Asc"),
    "title": ("title_key", "Asc"),
}


log = logging.getLogger(__name__)


# --- the query ----------------------------------------------------------------------------


class _Compiler:
    def __init__(self, index: Any) -> None:
        import tantivy

        self.t = tantivy
        self.index = index
        self.schema = index.schema

    def any_of(self, queries: list[Any]) -> Any:
        if len(queries) == 1:
            return queries[0]
        return self.t.Query.boolean_query([(self.t.Occur.Should, q) for q in queries])

    def all_of(self, queries: list[Any]) -> Any:
        if len(queries) == 1:
            return queries[0]
        return self.t.Query.boolean_query([(self.t.Occur.Must, q) for q in queries])

    def term(self, field: str, word: str, *, prefix: bool = False) -> Any:
        if prefix:
            return self.t.Query.regex_query(self.schema, field, _literal(word) + ".*")
        return self.t.Query.term_query(self.schema, field, word)

    def phrase(self, field: str, words: tuple[str, ...], prefix: bool) -> Any:
        if len(words) == 1:
            return self.term(field, words[0], prefix=prefix)
        if prefix:
            patterns = [_literal(w) for w in words[:-1]] + [_literal(words[-1]) + ".*"]
            return self.t.Query.regex_phrase_query(self.schema, field, patterns)
        return self.t.Query.phrase_query(self.schema, field, list(words))

    def words(self, node: Words, *, cross_script: bool) -> Any:
        """query._words_tsquery, node for node."""
        field = node.weight or "any"
        direct = self.phrase(field, node.words, node.prefix)
        if not cross_script or node.as_written:
            return direct
        last = len(node.words) - 1
        keyed = []
        for i, word in enumerate(node.words):
            alternatives = [
                self.term(field, KEY_PREFIX + key, prefix=node.prefix and i == last)
                for key in word_keys(word)
            ]
            if alternatives:
                keyed.append(self.any_of(alternatives))
        if not keyed:
            return self.any_of([direct, self.term("any", KEYED_MARK)])
        return self.any_of([direct, self.all_of(keyed)])

    def node(self, node: Any, *, cross_script: bool) -> Any:
        t = self.t
        if isinstance(node, Words):
            return self.words(node, cross_script=cross_script)
        if isinstance(node, Identifier):
            return self.term(node.kind, node.value)
        if isinstance(node, Not):
            inner = self.node(node.child, cross_script=False)
            return t.Query.boolean_query([(t.Occur.Must, t.Query.all_query()), (t.Occur.MustNot, inner)])
        if isinstance(node, And):
            clauses = [
                (t.Occur.MustNot, self.node(c.child, cross_script=False))
                if isinstance(c, Not)
                else (t.Occur.Must, self.node(c, cross_script=cross_script))
                for c in node.children
            ]
            if all(occur == t.Occur.MustNot for occur, _q in clauses):
                clauses.append((t.Occur.Must, t.Query.all_query()))
            return t.Query.boolean_query(clauses)
        if isinstance(node, Or):
            return self.any_of([self.node(c, cross_script=cross_script) for c in node.children])
        if isinstance(node, Everything):
            return t.Query.all_query()
        if isinstance(node, MatchKeyed):
            parts = []
            if node.keys:
                parts.append(t.Query.term_set_query(self.schema, "match_key", list(node.keys)))
            if node.record_id is not None:
                parts.append(t.Query.term_query(self.schema, "id", node.record_id))
            return self.any_of(parts) if parts else t.Query.empty_query()
        if isinstance(node, YearRange):
            if node.low is None and node.high is None:
                return t.Query.exists_query("year")
            return t.Query.range_query(
                self.schema,
                "year",
                t.FieldType.Integer,
                node.low,
                node.high,
                include_lower=True,
                include_upper=True,
            )
        raise TypeError(node)

    def rank(self, parsed: ParsedQuery) -> Any | None:
        """Scoring only: each word looked for, in each field, boosted by the field's weight."""
        words = list(dict.fromkeys(parsed.positive_words()))
        if not words:
            return None
        t = self.t
        return self.any_of(
            [
                t.Query.boost_query(t.Query.term_query(self.schema, field, word), boost)
                for word in words
                for field, boost in FIELD_BOOSTS.items()
            ]
        )


def _literal(word: str) -> str:
    """A folded word as a regular expression matching itself (fold leaves letters and digits;
    anything else is escaped all the same)."""
    return "".join(c if c.isalnum() else "\\" + c for c in word)


# --- the backend ---------------------------------------------------------------------------

# Threads that count a search's facets while it finds its hits (two cores: two threads);
# one pool a process, made after a fork (a pool's threads do not survive one).
FACET_THREADS = 2
_pools: dict[int, ThreadPoolExecutor] = {}
_pool_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _pools:
        with _pool_lock:
            if pid not in _pools:
                _pools.clear()
                _pools[pid] = ThreadPoolExecutor(FACET_THREADS, thread_name_prefix="search-facets")
    return _pools[pid]


class TantivyBackend(SearchBackend):
    name = "tantivy"
    uses_outbox = True

    def _index(self) -> Any:
        return tantivy_index.reader()

    def _fallback(self) -> SearchBackend:
        """Before the first build the catalogue is searched in PostgreSQL (and /healthz says
        the index is missing), rather than not at all."""
        from catalogue.search.backends.postgres import PostgresBackend

        log.error(
            "SEARCH_BACKEND is tantivy but %s: searching PostgreSQL",
            tantivy_index.PROBLEMS[tantivy_index.state()],
        )
        return PostgresBackend()

    def _filter_queries(
        self, compiler: _Compiler, filters: SearchFilters, notes: list[str]
    ) -> dict[str, Any]:
        """A query per filtered facet (library codes that name no member dropped, noted)."""
        t, schema = compiler.t, compiler.schema
        out: dict[str, Any] = {}
        if filters.library:
            known = _libraries(codes=filters.library)
            keep_known_libraries(filters, {info["code"] for info in known.values()}, notes)
            if known:
                out["library"] = t.Query.term_set_query(schema, "library", sorted(known))
        if filters.province:
            numbers = [PROVINCE_NUMBERS[c] for c in filters.province]
            out["province"] = t.Query.term_set_query(schema, "province", numbers)
        for name in ("format", "language", "decade", "subject"):
            if values := getattr(filters, name):
                out[name] = t.Query.term_set_query(schema, name, list(values))
        return out

    def _run(
        self,
        compiler: _Compiler,
        searcher: Any,
        matching: Any,
        rank: Any | None,
        sort: str,
        offset: int,
        limit: int,
    ):
        t = compiler.t
        if sort == "relevance" and rank is None:  # a browse: newest additions first
            found = searcher.search(matching, limit, offset=offset, order_by_field="id", order=t.Order.Desc)
        elif sort == "relevance":
            scored = t.Query.boolean_query([(t.Occur.Must, matching), (t.Occur.Should, rank)])
            found = searcher.search(scored, limit, offset=offset)
        else:
            field, order = _SORTS[sort]
            found = searcher.search(
                matching, limit, offset=offset, order_by_field=field, order=getattr(t.Order, order)
            )
        addresses = [address for _key, address in found.hits]
        ids = searcher.fast_field_values("id", addresses) if addresses else []
        ranks = [float(key) if sort == "relevance" and rank is not None else 0.0 for key, _a in found.hits]
        return found.count, list(zip(ids, ranks, strict=True))

    def _facet_counts(
        self, searcher: Any, compiler: _Compiler, base: Any, filter_queries: dict[str, Any], *, browse: bool
    ):
        """Counts per facet, each under every other facet's filter: one aggregation per
        distinct set of filters (all facets share one when nothing is filtered), started on
        the pool's threads (tantivy lets go of the GIL while it counts); returns a function
        that waits for them and gives the counts. A browse's counts under no filter at all
        are the whole catalogue's, which PostgreSQL keeps exact (catalogue.browse.kept_counts):
        counting 3,000,000 documents took 300 ms, reading the kept counts a few."""
        t = compiler.t
        groups: dict[tuple[str, ...], list[str]] = {}
        for name in FACETS:
            others = tuple(sorted(f for f in filter_queries if f != name))
            groups.setdefault(others, []).append(name)
        started = []
        kept: dict[str, dict[str, int]] = {}
        for others, names in groups.items():
            if browse and not others:  # (subjects cut where the browse statement cuts them)
                from catalogue import browse  # (imports the PostgreSQL backend's filter SQL)

                kept = browse.kept_counts(names, SUBJECT_FACET_SIZE)
                continue
            query = base
            if others:
                query = t.Query.boolean_query(
                    [(t.Occur.Must, base)] + [(t.Occur.Must, filter_queries[f]) for f in others]
                )
            # A browse's records are many (a format or a large library: millions), so its
            # fields of several values are counted apart, on both threads at once.
            heavy = [[name] for name in names if browse and name in SEVERAL_VALUES]
            for part in [*heavy, [name for name in names if [name] not in heavy]]:
                spec = {
                    name: {
                        "terms": {
                            "field": AGG_FIELDS.get(name, name),
                            "size": SUBJECT_AGG_SIZE if name == "subject" else AGG_SIZES[name],
                            "segment_size": SEGMENT_SIZE,
                        }
                    }
                    for name in part
                }
                if spec:
                    started.append((part, _pool().submit(searcher.aggregate, query, spec)))

        def counts() -> dict[str, dict[str, int]]:
            found: dict[str, dict[str, int]] = dict(kept)
            for names, future in started:
                result = future.result()
                for name in names:
                    found[name] = {str(b["key"]): int(b["doc_count"]) for b in result[name]["buckets"]}
            if "province" not in kept:  # each set of provinces' records to each of its provinces
                by_province: dict[str, int] = {}
                for value, n in found["province"].items():
                    for number in tantivy_index.provinces_in(int(value)):
                        by_province[str(number)] = by_province.get(str(number), 0) + n
                found["province"] = by_province
            subjects = sorted(found["subject"].items(), key=lambda item: (-item[1], item[0]))
            found["subject"] = dict(subjects[:SUBJECT_FACET_SIZE])
            return found

        return counts

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
        import tantivy

        index = self._index()
        if index is None:
            return self._fallback().search(query, filters, sort=sort, offset=offset, limit=limit, notes=notes)
        compiler = _Compiler(index)
        if query.is_empty:
            base = tantivy.Query.all_query()
        else:
            base = compiler.node(query.tree, cross_script=query.has_keyed_word)
        filter_queries = self._filter_queries(compiler, filters, notes)
        matching = base
        if filter_queries:
            matching = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, base)] + [(tantivy.Occur.Must, q) for q in filter_queries.values()]
            )
        rank = None if query.is_empty else compiler.rank(query)
        searcher = index.searcher()
        counted = self._facet_counts(searcher, compiler, base, filter_queries, browse=query.is_empty)
        total, found = self._run(compiler, searcher, matching, rank, sort, offset, limit)
        counts = counted()
        library_ids = {int(k) for k in counts["library"]}
        records = _records([record_id for record_id, _rank in found])
        for record in records.values():
            library_ids.update(record["library_ids"] or [])
        library_info = _libraries(ids=sorted(library_ids))
        hits = [
            hit({**records[record_id], "rank": rank_value}, library_info)
            for record_id, rank_value in found
            if record_id in records
        ]
        return Found(hits, total, facet_values(counts_by_code(counts, library_info), filters, library_info))

    def search_tree(self, tree: Any, *, offset: int, limit: int) -> tuple[int, list[int]]:
        index = self._index()
        if index is None:
            return self._fallback().search_tree(tree, offset=offset, limit=limit)
        compiler = _Compiler(index)
        parsed = ParsedQuery(raw="", tree=tree)
        matching = compiler.node(tree, cross_script=parsed.has_keyed_word)
        total, found = self._run(
            compiler, index.searcher(), matching, compiler.rank(parsed), "relevance", offset, limit
        )
        return total, [record_id for record_id, _rank in found]

    def lag(self) -> dict[str, Any] | None:
        from catalogue.search import outbox

        return outbox.lag()


_RECORD_FIELDS = (
    "id", "title", "title_vernacular", "subtitle", "authors", "year", "edition", "publisher", "format",
    "language", "isbns", "library_ids",
)  # fmt: skip


def _records(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_RECORD_FIELDS)} FROM catalogue_bibrecord WHERE id = ANY(%s)",  # noqa: S608
            [ids],
        )
        return {row[0]: dict(zip(_RECORD_FIELDS, row, strict=True)) for row in cursor.fetchall()}


# Library info for hits and facets, kept by each process: read again when a library it has
# not seen is asked for (a new member), when a library is saved or deleted in this process,
# and otherwise once a minute (another process's edit of a name shows within that).
# Two ORM queries a search were an eighth of a search's time at 3,000,000 records.
LIBRARY_INFO_SECONDS = 60.0
_library_info: dict[str, Any] = {"at": float("-inf"), "by_id": {}, "by_code": {}}


def forget_libraries(**_kwargs: Any) -> None:
    _library_info["at"] = float("-inf")


for _signal in (post_save, post_delete):
    _signal.connect(forget_libraries, sender="members.Library", dispatch_uid="search-libraries")


def _libraries(*, ids: list[int] | None = None, codes: list[str] | None = None) -> dict[int, dict]:
    """Library info as the PostgreSQL statement gives it (catalogue.search.results.hit)."""
    from members.models import Library

    now = time.monotonic()
    known = _library_info
    stale = now - known["at"] > LIBRARY_INFO_SECONDS
    unseen = any(pk not in known["by_id"] for pk in ids or []) or any(
        c not in known["by_code"] for c in codes or []
    )
    if stale or (unseen and now - known["at"] > 1.0):  # (an unknown code: read at most once a second)
        rows = list(Library.objects.values("id", "code", "name", "name_ur", "city", "city_ur", "province"))
        known.update(
            at=now, by_id={row["id"]: row for row in rows}, by_code={row["code"]: row for row in rows}
        )
    if ids is not None:
        return {pk: known["by_id"][pk] for pk in ids if pk in known["by_id"]}
    return {info["id"]: info for code in codes or [] if (info := known["by_code"].get(code))}
