"""CQL queries as the portal's search tree, and the one statement that runs them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection

from catalogue import cql
from catalogue.normalize import fold, normalize_isbn, normalize_issn, normalize_lccn, normalize_oclc
from catalogue.query import FIELD_WEIGHTS, And, Identifier, Not, Or, ParsedQuery, Words
from catalogue.query import Node as QueryNode
from catalogue.sru.diagnostics import Diagnostic

MIN_PREFIX_CHARS = 3

CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
_SET_BY_URI = {
    **{uri: name for name, uri in CONTEXT_SETS.items()},
    "info:srw/cql-context-set/1/cql-v1.1": "cql",
}
# (context set, index) -> what it searches.
INDEXES = {
    ("cql", "serverchoice"): "any",
    ("cql", "anywhere"): "any",
    ("cql", "keywords"): "any",
    ("cql", "allindexes"): "any",
    ("cql", "allrecords"): "all_records",
    ("dc", "title"): "title",
    ("dc", "creator"): "author",
    ("dc", "subject"): "subject",
    ("dc", "publisher"): "publisher",
    ("dc", "identifier"): "identifier",
    ("dc", "date"): "year",
    ("bath", "isbn"): "isbn",
    ("bath", "issn"): "issn",
    ("bath", "lccn"): "lccn",
    ("rec", "identifier"): "control_number",
    ("rec", "id"): "control_number",
}
# Index names without a context set that copy-cataloguing clients send as they are (Koha's
# SRU search-field mapping offers title, author, isbn, issn, subject, lccn and control
# number; yaz-client users type them too): resolved after the context sets' own names.
BARE_INDEXES = {
    "author": "author",
    "lccn": "lccn",
    "controlnumber": "control_number",
    "control-number": "control_number",
    "oclc": "control_number",
}
# Explain lists these, in this order, with their titles.
INDEX_TITLES = [
    ("cql", "serverChoice", "Any field (title, author, subject, publisher, summary)"),
    ("cql", "anywhere", "Any field"),
    ("cql", "allRecords", "Every record (term ignored)"),
    ("dc", "title", "Title, in romanization or the original script"),
    ("dc", "creator", "Author"),
    ("dc", "subject", "Subject"),
    ("dc", "publisher", "Publisher"),
    ("dc", "identifier", "ISBN or ISSN"),
    ("dc", "date", "Year of publication"),
    ("bath", "isbn", "ISBN (10 or 13 digits, any hyphenation)"),
    ("bath", "issn", "ISSN"),
    ("bath", "lccn", "Library of Congress control number (LCCN, 010)"),
    ("rec", "identifier", "Control number: the union record's id (ish123 or 123) or an OCLC number (035)"),
]
TEXT_RELATIONS = ("=", "adj", "all", "any", "scr")
IDENTIFIER_RELATIONS = ("=", "==", "exact", "any", "scr")
YEAR_RELATIONS = ("=", "==", "<", ">", "<=", ">=", "<>", "within", "scr")


# --- CQL -> the portal's search tree ------------------------------------------------------


@dataclass(frozen=True)
class YearRange:
    """Publication year within [low, high] (either open)."""

    low: int | None
    high: int | None


@dataclass(frozen=True)
class Everything:
    """cql.allRecords."""


@dataclass(frozen=True)
class MatchKeyed:
    """Records with one of these match keys ("lccn:...", "oclc:...": catalogue.matching),
    looked up in the match-key table's btree, or with this record id."""

    keys: tuple[str, ...]
    record_id: int | None = None


Tree = QueryNode | YearRange | Everything | MatchKeyed


def _resolve_index(index: str, prefixes: Mapping[str, str]) -> str:
    if not index:
        return "any"
    set_name, dot, name = index.lower().rpartition(".")
    if not dot:
        # No context set: the query's default one (">uri"), else the server's choice, as
        # dc, then bath, then cql would name it.
        default = _SET_BY_URI.get(prefixes.get("", ""))
        for candidate in ([default] if default else []) + ["dc", "bath", "cql"]:
            if (candidate, name) in INDEXES:
                return INDEXES[(candidate, name)]
        if name in BARE_INDEXES:
            return BARE_INDEXES[name]
        raise Diagnostic(16, index, f"There is no index {index!r}; explain lists the indexes.")
    if set_name in prefixes:
        uri = prefixes[set_name]
        if uri not in _SET_BY_URI:
            raise Diagnostic(15, uri, f"The context set {uri!r} is not supported.")
        set_name = _SET_BY_URI[uri]
    if set_name not in CONTEXT_SETS:
        raise Diagnostic(15, set_name, f"The context set {set_name!r} is not supported: use cql, dc or bath.")
    if (set_name, name) not in INDEXES:
        raise Diagnostic(16, index, f"There is no index {index!r}; explain lists the indexes.")
    return INDEXES[(set_name, name)]


def _mask(word: str) -> tuple[str, bool]:
    """A raw CQL word without escapes, and whether it ends in a truncation mask."""
    out, prefix, i = [], False, 0
    while i < len(word):
        ch = word[i]
        if ch == "\\" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
            continue
        if ch in "*?":
            if ch == "*" and i == len(word) - 1 and i > 0:
                prefix = True
            else:
                raise Diagnostic(28, word, f"Only a * at the end of a word is supported ({word!r}).")
        elif ch != "^":  # anchoring carries no meaning in a full-text index
            out.append(ch)
        i += 1
    return "".join(out), prefix


def _words(raw: str, weight: str) -> Words | None:
    text, prefix = _mask(raw)
    words = tuple(fold(text).split())
    if not words:
        return None
    if prefix and len(words[-1]) < MIN_PREFIX_CHARS:
        raise Diagnostic(
            29, str(MIN_PREFIX_CHARS), f"A truncated word needs {MIN_PREFIX_CHARS} letters before the *."
        )
    return Words(words, weight=weight, prefix=prefix)


def _text_clause(kind: str, clause: cql.SearchClause) -> Tree:
    relation = clause.relation or "="
    if relation not in TEXT_RELATIONS:
        raise Diagnostic(
            19,
            relation,
            f"The relation {relation!r} is not supported for {clause.index}: use =, adj, all or any.",
        )
    weight = FIELD_WEIGHTS.get(kind, "")
    raw_words = clause.term.split()
    if relation in ("=", "adj", "scr"):
        # CQL 1.2: "=" on a string of several words is adjacency, a phrase.
        for raw in raw_words[:-1]:
            if _mask(raw)[1]:
                raise Diagnostic(28, raw, "In a phrase only the last word can be truncated with *.")
        node = _words(" ".join(raw_words), weight)
        if node is None:
            raise Diagnostic(27, clause.term, "The search term has no letters or digits to look for.")
        return node
    nodes = [n for n in (_words(raw, weight) for raw in raw_words) if n is not None]
    if not nodes:
        raise Diagnostic(27, clause.term, "The search term has no letters or digits to look for.")
    if len(nodes) == 1:
        return nodes[0]
    return And(tuple(nodes)) if relation == "all" else Or(tuple(nodes))


def _identifier_clause(kind: str, clause: cql.SearchClause) -> Tree:
    relation = clause.relation or "="
    if relation not in IDENTIFIER_RELATIONS:
        raise Diagnostic(
            19, relation, f"The relation {relation!r} is not supported for {clause.index}: use = or any."
        )
    values = clause.term.split() if relation == "any" else [clause.term]
    nodes: list[QueryNode] = []
    for value in values:
        isbn = normalize_isbn(value) if kind in ("isbn", "identifier") else None
        issn = normalize_issn(value) if kind in ("issn", "identifier") and not isbn else None
        if isbn:
            nodes.append(Identifier("isbn", isbn))
        elif issn:
            nodes.append(Identifier("issn", issn))
        else:
            wanted = {"isbn": "an ISBN", "issn": "an ISSN"}.get(kind, "an ISBN or ISSN")
            raise Diagnostic(36, value[:60], f"{value[:60]!r} is not {wanted} (check the digits).")
    if not nodes:
        raise Diagnostic(27, clause.term, "The search term is empty.")
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


_YEAR = re.compile(r"^\d{1,4}$")


def _year(value: str, index: str) -> int:
    if not _YEAR.match(value):
        raise Diagnostic(36, value[:60], f"{index} takes a year of up to four digits, not {value[:60]!r}.")
    return int(value)


def _year_clause(clause: cql.SearchClause) -> Tree:
    relation = clause.relation or "="
    if relation not in YEAR_RELATIONS:
        raise Diagnostic(19, relation, f"The relation {relation!r} is not supported for {clause.index}.")
    if relation == "within":
        parts = clause.term.split()
        if len(parts) != 2:
            raise Diagnostic(36, clause.term[:60], 'within takes two years: dc.date within "1990 1999".')
        low, high = sorted(_year(p, clause.index) for p in parts)
        return YearRange(low, high)
    year = _year(clause.term.strip(), clause.index)
    return {
        "=": YearRange(year, year),
        "==": YearRange(year, year),
        "scr": YearRange(year, year),
        "<": YearRange(None, year - 1),
        "<=": YearRange(None, year),
        ">": YearRange(year + 1, None),
        ">=": YearRange(year, None),
        "<>": Not(YearRange(year, year)),  # type: ignore[arg-type]
    }[relation]


_RECORD_ID = re.compile(r"^(?:ish)?(\d{1,18})$", re.I)


def _keyed_clause(kind: str, clause: cql.SearchClause) -> Tree:
    """lccn and control number: exact identifiers, through the match keys."""
    relation = clause.relation or "="
    if relation not in IDENTIFIER_RELATIONS:
        raise Diagnostic(
            19, relation, f"The relation {relation!r} is not supported for {clause.index}: use = or any."
        )
    nodes: list[Tree] = []
    for value in clause.term.split() if relation == "any" else [clause.term]:
        if kind == "lccn":
            lccn = normalize_lccn(value)
            if not lccn:
                raise Diagnostic(36, value[:60], f"{value[:60]!r} is not an LCCN.")
            nodes.append(MatchKeyed(keys=(f"lccn:{lccn}",)))
            continue
        record = _RECORD_ID.match(value.strip())
        oclc = normalize_oclc(value)
        if not record and not oclc:
            raise Diagnostic(36, value[:60], f"{value[:60]!r} is not a record id or an OCLC number.")
        nodes.append(
            MatchKeyed(keys=(f"oclc:{oclc}",) if oclc else (), record_id=int(record[1]) if record else None)
        )
    if not nodes:
        raise Diagnostic(27, clause.term, "The search term is empty.")
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))  # type: ignore[arg-type]


def _clause(clause: cql.SearchClause, prefixes: Mapping[str, str]) -> Tree:
    kind = _resolve_index(clause.index, prefixes)
    if clause.modifiers:
        name = clause.modifiers[0].name
        raise Diagnostic(20, name, f"The relation modifier /{name} is not supported.")
    if kind == "all_records":
        if (clause.relation or "=") not in ("=", "scr"):
            raise Diagnostic(19, clause.relation, "cql.allRecords takes the relation =.")
        return Everything()
    if kind == "year":
        return _year_clause(clause)
    if kind in ("isbn", "issn", "identifier"):
        return _identifier_clause(kind, clause)
    if kind in ("lccn", "control_number"):
        return _keyed_clause(kind, clause)
    return _text_clause(kind, clause)


def to_tree(query: cql.CqlQuery) -> Tree:
    """The portal search tree of a parsed CQL query (Diagnostic when it asks for more)."""
    if "" in query.prefixes and query.prefixes[""] not in _SET_BY_URI:
        raise Diagnostic(15, query.prefixes[""], f"The context set {query.prefixes['']!r} is not supported.")

    def walk(node: cql.Node) -> Tree:
        if isinstance(node, cql.SearchClause):
            return _clause(node, query.prefixes)
        if node.op == "prox":
            raise Diagnostic(37, "prox", "prox is not supported: use and, or, not, or a phrase in quotes.")
        if node.modifiers:
            raise Diagnostic(
                46,
                node.modifiers[0].name,
                f"The boolean modifier /{node.modifiers[0].name} is not supported.",
            )
        left, right = walk(node.left), walk(node.right)
        if node.op == "and":
            return And((left, right))  # type: ignore[arg-type]
        if node.op == "or":
            return Or((left, right))  # type: ignore[arg-type]
        return And((left, Not(right)))  # type: ignore[arg-type]

    return walk(query.root)


# --- the search statement ---------------------------------------------------------------


def _uses_own_nodes(node: Tree) -> bool:
    if isinstance(node, YearRange | Everything | MatchKeyed):
        return True
    if isinstance(node, Not):
        return _uses_own_nodes(node.child)
    if isinstance(node, And | Or):
        return any(_uses_own_nodes(c) for c in node.children)
    return False


def _condition(node: Tree) -> tuple[str, list]:
    """WHERE fragment over alias b: query.py compiles every subtree of its own nodes."""
    if not _uses_own_nodes(node):
        compiled = ParsedQuery(raw="", tree=node).condition()  # type: ignore[arg-type]
        return compiled.sql, list(compiled.params)
    if isinstance(node, Everything):
        return "TRUE", []
    if isinstance(node, MatchKeyed):
        parts, params = [], []
        if node.keys:
            parts.append("b.id IN (SELECT k.bib_record_id FROM catalogue_matchkey k WHERE k.key = ANY(%s))")
            params.append(list(node.keys))
        if node.record_id is not None:
            parts.append("b.id = %s")
            params.append(node.record_id)
        return "(" + " OR ".join(parts) + ")", params
    if isinstance(node, YearRange):
        parts, params = [], []
        if node.low is not None:
            parts.append("b.year >= %s")
            params.append(node.low)
        if node.high is not None:
            parts.append("b.year <= %s")
            params.append(node.high)
        return "(" + " AND ".join(parts or ["b.year IS NOT NULL"]) + ")", params
    if isinstance(node, Not):
        sql, params = _condition(node.child)
        return f"NOT COALESCE({sql}, false)", params
    parts = [_condition(c) for c in node.children]
    op = " AND " if isinstance(node, And) else " OR "
    return "(" + op.join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]


def _rank(parsed: ParsedQuery, params: list) -> str:
    """The portal search's ranking (catalogue.search): any word's weight by field, plus a
    bonus when the words occur as a phrase and when all of them occur."""
    parts = []
    if rank := parsed.rank_tsquery():
        parts.append("ts_rank(b.search_document, to_tsquery('simple', %s))")
        params.append(rank)
        if phrase := parsed.phrase_tsquery():
            parts.append("CASE WHEN b.search_document @@ to_tsquery('simple', %s) THEN 1.0 ELSE 0 END")
            params.append(phrase)
        if all_words := parsed.all_words_tsquery():
            parts.append("CASE WHEN b.search_document @@ to_tsquery('simple', %s) THEN 0.5 ELSE 0 END")
            params.append(all_words)
    return " + ".join(parts) or "0::real"


def run_tree_sql(tree: Tree, offset: int, limit: int) -> tuple[int, list[int]]:
    """(number of hits, ids of the requested slice in rank order): one statement (the
    PostgreSQL backend's search_tree)."""
    parsed = ParsedQuery(raw="", tree=tree)  # type: ignore[arg-type]
    params: list = []
    rank = _rank(parsed, params)
    where, where_params = _condition(tree)
    params += where_params
    sql = (
        f"WITH m AS MATERIALIZED (SELECT b.id, b.year, {rank} AS rank FROM catalogue_bibrecord b WHERE {where})"  # noqa: S608 - fixed SQL; values are parameters
        " SELECT (SELECT count(*) FROM m),"
        " ARRAY(SELECT id FROM m ORDER BY rank DESC, year DESC NULLS LAST, id DESC LIMIT %s OFFSET %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        total, ids = cursor.fetchone()
    return int(total), list(ids or [])
