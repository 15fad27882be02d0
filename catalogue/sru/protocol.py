"""SRU requests and responses: explain, searchRetrieve, their parameters and XML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from lxml import etree

from catalogue import cql
from catalogue.models import BibRecord
from catalogue.records import records_marc
from catalogue.search import search_tree
from catalogue.sru.cql_search import CONTEXT_SETS, INDEX_TITLES, to_tree
from catalogue.sru.diagnostics import DIAGNOSTIC_TEXT, Diagnostic
from catalogue.xml_formats import DC_FIELDS, MARC_NS, MARC_SCHEMA, marc_element, srw_dc_element, xml_text

SRW_NS = "http://www.loc.gov/zing/srw/"
DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
_S = f"{{{SRW_NS}}}"
VERSION = "1.2"
DEFAULT_RECORDS = 10
# Past this position a client should narrow its query: OFFSET walks every earlier hit.
MAX_POSITION = 10_000


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
        total, ids = search_tree(tree, offset=request.start - 1, limit=request.maximum)
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
