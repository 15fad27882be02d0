"""SRU 1.2 (Search/Retrieve via URL) over the union catalogue: explain and searchRetrieve.

A CQL query (catalogue.cql) becomes the portal's own search tree (catalogue.query:
words, phrases, fielded words, ISBN/ISSN), so terms are folded exactly as the search
index is (Urdu and Arabic letter forms, diacritics, case) and ranked as the catalogue's
search ranks them. Only publication year, which the portal query has no syntax for, and
cql.allRecords are conditions of this module's own; every value reaches SQL as a
parameter or, for text, as a folded tsquery lexeme.

SRU 2.0 parameters are accepted where they mean the same: a request with a query and no
operation is a searchRetrieve, queryType=cql, recordXMLEscaping=xml|string. Responses
are SRU 1.2 documents (http://www.loc.gov/zing/srw/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from lxml import etree

from catalogue import cql
from catalogue.models import BibRecord
from catalogue.normalize import fold, normalize_isbn, normalize_issn
from catalogue.query import FIELD_WEIGHTS, And, Identifier, Not, Or, ParsedQuery, Words, spaceless_variants
from catalogue.query import Node as QueryNode
from catalogue.records import records_marc
from catalogue.xml_formats import DC_FIELDS, MARC_NS, MARC_SCHEMA, marc_element, srw_dc_element, xml_text

SRW_NS = "http://www.loc.gov/zing/srw/"
DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
_S = f"{{{SRW_NS}}}"
VERSION = "1.2"
DEFAULT_RECORDS = 10
# Past this position a client should narrow its query: OFFSET walks every earlier hit.
MAX_POSITION = 10_000
# Below this many hits an Urdu query is tried again with spaces ignored, as the portal's
# own search does (catalogue.search.FEW_RESULTS).
SPACELESS_RETRY_BELOW = 3
MIN_PREFIX_CHARS = 3

# Record schemas by short name: their identifier, XML schema and title.
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", MARC_SCHEMA, "MARCXML (MARC 21 slim)"),
    "dc": (
        "info:srw/schema/1/dc-v1.1",
        "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd",
        "Dublin Core",
    ),
}
_SCHEMA_ALIASES = {
    "marcxml": "marcxml",
    "marc21": "marcxml",
    "marc": "marcxml",
    "info:srw/schema/1/marcxml-v1.1": "marcxml",
    "info:srw/schema/1/marcxml-v1.2": "marcxml",
    MARC_NS.lower(): "marcxml",
    "dc": "dc",
    "info:srw/schema/1/dc-v1.1": "dc",
    "info:srw/schema/1/dc-schema": "dc",
}
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
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
]
TEXT_RELATIONS = ("=", "adj", "all", "any", "scr")
IDENTIFIER_RELATIONS = ("=", "==", "exact", "any", "scr")
YEAR_RELATIONS = ("=", "==", "<", ">", "<=", ">=", "<>", "within", "scr")

SEARCH_PARAMETERS = {
    "operation",
    "version",
    "query",
    "startRecord",
    "maximumRecords",
    "recordPacking",
    "recordSchema",
    "recordXPath",
    "resultSetTTL",
    "sortKeys",
    "stylesheet",
    "queryType",
    "recordXMLEscaping",
    "httpAccept",
}

DIAGNOSTIC_TEXT = {
    1: "General system error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    12: "Too many characters in query",
    13: "Invalid or unsupported use of parentheses",
    14: "Invalid or unsupported use of quotes",
    15: "Unsupported context set",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    29: "Masked words too short",
    36: "Term in invalid format for index or relation",
    37: "Unsupported boolean operator",
    38: "Too many boolean operators in query",
    46: "Unsupported boolean modifier",
    61: "First record position out of range",
    66: "Unknown schema for retrieval",
    71: "Unsupported record packing",
    72: "XPath retrieval unsupported",
    80: "Sort not supported",
    110: "Stylesheets not supported",
}


@dataclass
class Diagnostic(Exception):
    code: int
    details: str = ""
    message: str = ""

    @property
    def uri(self) -> str:
        return f"info:srw/diagnostic/1/{self.code}"


# --- CQL -> the portal's search tree ------------------------------------------------------


@dataclass(frozen=True)
class YearRange:
    """Publication year within [low, high] (either open)."""

    low: int | None
    high: int | None


@dataclass(frozen=True)
class Everything:
    """cql.allRecords."""


Tree = QueryNode | YearRange | Everything


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
    if isinstance(node, YearRange | Everything):
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


def _search(tree: Tree, offset: int, limit: int) -> tuple[int, list[int]]:
    """(number of hits, ids of the requested slice in rank order): one statement."""
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


def search(tree: Tree, offset: int, limit: int) -> tuple[int, list[int]]:
    """Hits of a search tree; Urdu queries with few hits are retried with spaces ignored."""
    total, ids = _search(tree, offset, limit)
    if total < SPACELESS_RETRY_BELOW:
        variant = spaceless_variants(ParsedQuery(raw="", tree=tree))  # type: ignore[arg-type]
        if variant is not None:
            more, more_ids = _search(variant.tree, offset, limit)
            if more > total:
                return more, more_ids
    return total, ids


# --- requests and responses --------------------------------------------------------------


def base_url() -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + "/sru"


def _sub(parent: etree._Element, name: str, text: object = None, ns: str = SRW_NS) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = xml_text(text)
    return element


def _diagnostics(parent: etree._Element, diagnostics: list[Diagnostic]) -> None:
    if not diagnostics:
        return
    holder = _sub(parent, "diagnostics")
    for diagnostic in diagnostics:
        element = etree.SubElement(holder, f"{{{DIAG_NS}}}diagnostic", nsmap={"diag": DIAG_NS})
        _sub(element, "uri", diagnostic.uri, DIAG_NS)
        if diagnostic.details:
            _sub(element, "details", diagnostic.details, DIAG_NS)
        text = DIAGNOSTIC_TEXT.get(diagnostic.code, "")
        _sub(element, "message", f"{text}: {diagnostic.message}" if diagnostic.message else text, DIAG_NS)


def _record(
    parent: etree._Element, content: etree._Element, schema: str, packing: str, position: int | None
) -> None:
    record = _sub(parent, "record")
    _sub(record, "recordSchema", schema)
    _sub(record, "recordPacking", packing)
    data = _sub(record, "recordData")
    if packing == "string":
        data.text = etree.tostring(content, encoding="unicode")
    else:
        data.append(content)
    if position is not None:
        _sub(record, "recordPosition", position)


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise Diagnostic(6, name, f"{name} is given more than once.")
    return values[0]


def _packing(params: Mapping[str, list[str]]) -> str:
    packing = _single(params, "recordPacking") or _single(params, "recordXMLEscaping") or "xml"
    if packing not in ("xml", "string"):
        raise Diagnostic(71, packing[:40], f"Records are packed as xml or string, not {packing[:40]!r}.")
    return packing


def _number(params: Mapping[str, list[str]], name: str, default: int, minimum: int) -> int:
    raw = _single(params, name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
        raise Diagnostic(6, name, f"{name} must be a whole number from {minimum}, not {raw[:20]!r}.")
    return int(raw)


def _response_version(params: Mapping[str, list[str]]) -> str:
    """A 1.1 client is answered as 1.1 (the same response schema); anyone else as 1.2."""
    return "1.1" if params.get("version") == ["1.1"] else VERSION


def _check_version(params: Mapping[str, list[str]]) -> None:
    version = _single(params, "version")
    if version not in (None, "", "1.1", "1.2"):
        raise Diagnostic(5, VERSION, f"This server speaks SRU 1.1 and 1.2, not {version[:10]!r}.")


def explain_record() -> etree._Element:
    z = f"{{{ZEEREX_NS}}}"
    root = etree.Element(z + "explain", nsmap={None: ZEEREX_NS})
    url = urlsplit(settings.PORTAL_BASE_URL)
    server = etree.SubElement(
        root,
        z + "serverInfo",
        protocol="SRU",
        version=VERSION,
        transport=url.scheme or "http",
        method="GET POST",
    )
    etree.SubElement(server, z + "host").text = url.hostname or "localhost"
    etree.SubElement(server, z + "port").text = str(url.port or (443 if url.scheme == "https" else 80))
    etree.SubElement(server, z + "database").text = "sru"
    database = etree.SubElement(root, z + "databaseInfo")
    etree.SubElement(
        database, z + "title", lang="en", primary="true"
    ).text = f"{settings.CONSORTIUM_NAME}: union catalogue"
    etree.SubElement(database, z + "description", lang="en", primary="true").text = (
        "The merged records of the member libraries. Terms are matched as the portal's search matches"
        " them: case, diacritics and Arabic/Urdu letter forms are folded, so Urdu typed with Arabic or"
        " Urdu keyboards finds the same records. Results come in order of relevance."
    )
    indexes = etree.SubElement(root, z + "indexInfo")
    for name, uri in CONTEXT_SETS.items():
        etree.SubElement(indexes, z + "set", name=name, identifier=uri)
    for set_name, name, title in INDEX_TITLES:
        index = etree.SubElement(indexes, z + "index", search="true", scan="false", sort="false")
        etree.SubElement(index, z + "title", lang="en").text = title
        mapping = etree.SubElement(index, z + "map")
        etree.SubElement(mapping, z + "name", set=set_name).text = name
    schemas = etree.SubElement(root, z + "schemaInfo")
    for name, (identifier, location, title) in SCHEMAS.items():
        schema = etree.SubElement(
            schemas, z + "schema", identifier=identifier, name=name, location=location, retrieve="true"
        )
        etree.SubElement(schema, z + "title", lang="en").text = title
    config = etree.SubElement(root, z + "configInfo")
    for kind, tag, value in (
        ("numberOfRecords", "default", DEFAULT_RECORDS),
        ("retrieveSchema", "default", "marcxml"),
        ("contextSet", "default", "dc"),
        ("index", "default", "cql.serverChoice"),
        ("relation", "default", "="),
        ("maximumRecords", "setting", max_records()),
    ):
        etree.SubElement(config, z + tag, type=kind).text = str(value)
    for relation in ("=", "adj", "all", "any", "<", ">", "<=", ">=", "<>", "within"):
        etree.SubElement(config, z + "supports", type="relation").text = relation
    for boolean in ("and", "or", "not"):
        etree.SubElement(config, z + "supports", type="booleanOperator").text = boolean
    etree.SubElement(config, z + "supports", type="maskingCharacter").text = "* (at the end of a word)"
    return root


def max_records() -> int:
    return max(1, int(settings.SRU_MAX_RECORDS))


def _explain(params: Mapping[str, list[str]]) -> etree._Element:
    root = etree.Element(_S + "explainResponse", nsmap={"srw": SRW_NS})
    _sub(root, "version", _response_version(params))
    diagnostics: list[Diagnostic] = []
    packing = "xml"
    try:
        _check_version(params)
        packing = _packing(params)
        if _single(params, "stylesheet"):
            raise Diagnostic(110, "stylesheet", "Responses come without stylesheets.")
    except Diagnostic as diagnostic:
        diagnostics.append(diagnostic)
    _record(root, explain_record(), "http://explain.z3950.org/dtd/2.0/", packing, None)
    echoed = _sub(root, "echoedExplainRequest")
    _sub(echoed, "version", _response_version(params))
    _sub(echoed, "recordPacking", packing)
    _sub(echoed, "baseUrl", base_url())
    _diagnostics(root, diagnostics)
    return root


@dataclass
class _Request:
    query: str = ""
    start: int = 1
    maximum: int = DEFAULT_RECORDS
    schema: str = "marcxml"
    packing: str = "xml"


def _check_search(params: Mapping[str, list[str]], request: _Request) -> None:
    _check_version(params)
    for name in params:
        if name not in SEARCH_PARAMETERS and not name.startswith("x-"):
            raise Diagnostic(8, name[:40], f"The parameter {name[:40]!r} is not supported.")
    request.packing = _packing(params)
    query_type = _single(params, "queryType")
    if query_type not in (None, "", "cql"):
        raise Diagnostic(6, "queryType", f"Queries are CQL; queryType {query_type[:20]!r} is not supported.")
    for name, code, message in (
        ("recordXPath", 72, "Records are sent whole."),
        ("sortKeys", 80, "Results come in order of relevance."),
        ("stylesheet", 110, "Responses come without stylesheets."),
    ):
        if _single(params, name):
            raise Diagnostic(code, name, message)
    schema = _single(params, "recordSchema") or "marcxml"
    if schema.lower() not in _SCHEMA_ALIASES:
        raise Diagnostic(66, schema[:100], f"Records are available as marcxml or dc, not {schema[:100]!r}.")
    request.schema = _SCHEMA_ALIASES[schema.lower()]
    request.start = _number(params, "startRecord", 1, 1)
    request.maximum = min(_number(params, "maximumRecords", DEFAULT_RECORDS, 0), max_records())
    query = _single(params, "query")
    if not query or not query.strip():
        raise Diagnostic(7, "query", 'searchRetrieve needs a query (CQL), e.g. dc.title="Pakistan".')
    request.query = query
    if request.start > MAX_POSITION:
        raise Diagnostic(
            61,
            str(request.start),
            f"Records past position {MAX_POSITION} cannot be retrieved: narrow the query.",
        )


def _search_retrieve(params: Mapping[str, list[str]]) -> etree._Element:
    root = etree.Element(_S + "searchRetrieveResponse", nsmap={"srw": SRW_NS})
    _sub(root, "version", _response_version(params))
    request = _Request()
    total, records, diagnostics = 0, [], []
    try:
        _check_search(params, request)
        try:
            parsed = cql.parse_cql(request.query)
        except cql.CqlError as error:
            raise Diagnostic(error.code, error.details, error.message) from None
        tree = to_tree(parsed)
        total, ids = search(tree, request.start - 1, request.maximum)
        if total and request.start > total:
            raise Diagnostic(
                61, str(request.start), f"startRecord {request.start} is past the last of {total} records."
            )
        records = _load(ids, request.schema)
    except Diagnostic as diagnostic:
        diagnostics.append(diagnostic)
    _sub(root, "numberOfRecords", total)
    if records:
        holder = _sub(root, "records")
        identifier = SCHEMAS[request.schema][0]
        for position, content in enumerate(records, start=request.start):
            _record(holder, content, identifier, request.packing, position)
        following = request.start + len(records)
        if following <= total:
            _sub(root, "nextRecordPosition", following)
    echoed = _sub(root, "echoedSearchRetrieveRequest")
    _sub(echoed, "version", _response_version(params))
    _sub(echoed, "query", request.query or (_first(params, "query")))
    _sub(echoed, "startRecord", request.start)
    _sub(echoed, "maximumRecords", request.maximum)
    _sub(echoed, "recordPacking", request.packing)
    _sub(echoed, "recordSchema", request.schema)
    _sub(echoed, "baseUrl", base_url())
    _diagnostics(root, diagnostics)
    return root


def _first(params: Mapping[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    return values[0]


def _load(ids: list[int], schema: str) -> list[etree._Element]:
    """The records of a page, in rank order, as XML (two statements for marcxml, one for dc)."""
    if not ids:
        return []
    by_id = {r.pk: r for r in BibRecord.objects.filter(pk__in=ids).only(*DC_FIELDS)}
    ordered = [by_id[i] for i in ids if i in by_id]
    if schema == "dc":
        return [srw_dc_element(r) for r in ordered]
    marc = records_marc(ordered)
    return [marc_element(marc[r.pk], schema_location=False) for r in ordered]


def handle(params: Mapping[str, list[str]]) -> bytes:
    """Answer one SRU request (each parameter with all its values) as XML bytes."""
    operations = params.get("operation") or []
    operation = operations[0] if len(operations) == 1 else ("" if not operations else None)
    if operation == "" and _first(params, "query"):
        operation = "searchRetrieve"  # SRU 2.0: no operation parameter, a query means search
    if operation in ("", "explain"):
        root = _explain(params)
    elif operation == "searchRetrieve":
        root = _search_retrieve(params)
    else:
        root = _explain(params)
        shown = "operation given more than once" if operation is None else f"{operation[:40]!r}"
        diagnostic = Diagnostic(
            4, (operation or "operation")[:40], f"Operations are explain and searchRetrieve, not {shown}."
        )
        existing = root.find(_S + "diagnostics")
        if existing is not None:
            root.remove(existing)
        _diagnostics(root, [diagnostic])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
