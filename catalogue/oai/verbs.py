"""The six OAI-PMH verbs and the XML of their responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from lxml import etree

from catalogue.models import BibRecord, Format
from catalogue.oai.arguments import (
    DELETED_RECORD,
    DOMAIN_RE,
    GRANULARITY,
    METADATA_FORMATS,
    MSG_BAD_PREFIX,
    MSG_BAD_VERB,
    MSG_EMPTY,
    MSG_EXCLUSIVE,
    MSG_FORMAT,
    MSG_ILLEGAL,
    MSG_MISSING,
    MSG_NO_ID,
    MSG_NO_RECORDS,
    MSG_NO_VERB,
    MSG_REPEATED,
    MSG_REPEATED_VERB,
    MSG_SETS_TOKEN,
    OAI_ID_NS,
    OAI_ID_SCHEMA,
    OAI_NS,
    OAI_SCHEMA,
    PREFIX_RE,
    VERBS,
    ListState,
    OaiError,
    base_url,
    datestamp,
    decode_token,
    encode_token,
    list_window,
    oai_identifier,
    page_size,
    parse_identifier,
    repository_identifier,
)
from catalogue.oai.selectors import Header, earliest_datestamp, find_header, library_codes, list_headers
from catalogue.records import records_marc
from catalogue.xml_formats import (
    DC_FIELDS,
    XSI,
    marc_element,
    oai_dc_element,
    xml_text,
)
from members.models import Library

_O = f"{{{OAI_NS}}}"


@dataclass
class Response:
    """An OAI-PMH response under construction."""

    verb: str = ""
    arguments: dict[str, str] = field(default_factory=dict)
    errors: list[OaiError] = field(default_factory=list)
    body: etree._Element | None = None


# --- XML -----------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, text: object = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _O + name, **attributes)
    if text is not None:
        element.text = xml_text(text)
    return element


def _header_element(parent: etree._Element, header: Header, codes: Mapping[int, str]) -> None:
    element = _sub(parent, "header")
    if header.deleted:
        element.set("status", "deleted")
    _sub(element, "identifier", oai_identifier(header.id))
    _sub(element, "datestamp", datestamp(header.datestamp))
    for library_id in sorted(header.library_ids or [], key=lambda i: codes.get(i, "")):
        if library_id in codes:
            _sub(element, "setSpec", f"library:{codes[library_id]}")
    if header.format:
        _sub(element, "setSpec", f"format:{header.format}")


def _metadata(prefix: str, record: BibRecord, marc: Mapping[int, object]) -> etree._Element:
    if prefix == "marc21":
        return marc_element(marc[record.pk])
    return oai_dc_element(record)


def _record_element(
    parent: etree._Element,
    header: Header,
    record: BibRecord | None,
    prefix: str,
    codes: Mapping[int, str],
    marc: Mapping[int, object],
) -> None:
    element = _sub(parent, "record")
    _header_element(element, header, codes)
    if record is not None and not header.deleted:
        _sub(element, "metadata").append(_metadata(prefix, record, marc))


def _envelope(response: Response) -> bytes:
    root = etree.Element(_O + "OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, "responseDate", datestamp(timezone.now()))
    request = _sub(root, "request", base_url())
    # The spec: with badVerb or badArgument, echo the base URL only, no attributes.
    if not any(e.code in ("badVerb", "badArgument") for e in response.errors):
        if response.verb:
            request.set("verb", response.verb)
        for name, value in response.arguments.items():
            request.set(name, xml_text(value))
    if response.errors:
        for error in response.errors:
            _sub(root, "error", error.message, code=error.code)
    elif response.body is not None:
        root.append(response.body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- the verbs -------------------------------------------------------------------------


def _identify() -> etree._Element:
    body = etree.Element(_O + "Identify")
    _sub(body, "repositoryName", f"{settings.CONSORTIUM_NAME}: union catalogue")
    _sub(body, "baseURL", base_url())
    _sub(body, "protocolVersion", "2.0")
    _sub(body, "adminEmail", settings.OAI_ADMIN_EMAIL)
    _sub(body, "earliestDatestamp", datestamp(earliest_datestamp()))
    _sub(body, "deletedRecord", DELETED_RECORD)
    _sub(body, "granularity", GRANULARITY)
    domain = repository_identifier()
    if DOMAIN_RE.match(domain):
        description = _sub(body, "description")
        oai_id = etree.SubElement(description, f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS})
        oai_id.set(f"{{{XSI}}}schemaLocation", f"{OAI_ID_NS} {OAI_ID_SCHEMA}")
        for name, text in (
            ("scheme", "oai"),
            ("repositoryIdentifier", domain),
            ("delimiter", ":"),
            ("sampleIdentifier", oai_identifier(1)),
        ):
            etree.SubElement(oai_id, f"{{{OAI_ID_NS}}}{name}").text = text
    return body


def _list_metadata_formats(identifier: str) -> etree._Element:
    if identifier:
        record_id = parse_identifier(identifier)
        if record_id is None or find_header(record_id) is None:
            raise OaiError(
                "idDoesNotExist", MSG_NO_ID.format(identifier=identifier[:100], sample=oai_identifier(1))
            )
    # Every item, deleted ones included (GetRecord answers their header), has both formats,
    # so noMetadataFormats never applies here.
    body = etree.Element(_O + "ListMetadataFormats")
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        element = _sub(body, "metadataFormat")
        _sub(element, "metadataPrefix", prefix)
        _sub(element, "schema", schema)
        _sub(element, "metadataNamespace", namespace)
    return body


def _list_sets() -> etree._Element:
    # Sets are supported, so noSetHierarchy never applies.
    body = etree.Element(_O + "ListSets")
    entries = [("library", "Held by member libraries"), ("format", "By format")]
    entries += [
        (f"library:{code}", f"{name} ({code})")
        for code, name in Library.objects.order_by("code").values_list("code", "name")
    ]
    entries += [(f"format:{value}", f"Format: {label}") for value, label in Format.choices]
    for spec, name in entries:
        element = _sub(body, "set")
        _sub(element, "setSpec", spec)
        _sub(element, "setName", name)
    return body


def _get_record(identifier: str, prefix: str) -> etree._Element:
    errors = []
    if prefix not in METADATA_FORMATS:
        errors.append(OaiError("cannotDisseminateFormat", MSG_FORMAT.format(prefix=prefix[:40])))
    record_id = parse_identifier(identifier)
    found = find_header(record_id) if record_id is not None else None
    if found is None:
        errors.append(
            OaiError(
                "idDoesNotExist", MSG_NO_ID.format(identifier=identifier[:100], sample=oai_identifier(1))
            )
        )
    if errors:
        raise _Errors(errors)
    header, record = found
    codes = library_codes(set(header.library_ids or []))
    marc = records_marc([record]) if record is not None and prefix == "marc21" else {}
    body = etree.Element(_O + "GetRecord")
    _record_element(body, header, record, prefix, codes, marc)
    return body


def _list(verb: str, state: ListState) -> etree._Element:
    limit = page_size()
    headers, size = list_headers(state, limit + 1)
    if not headers:
        which = []
        if state.window.set_spec:
            which.append(f"set {state.window.set_spec}")
        if state.window.from_text or state.window.until_text:
            which.append(f"datestamps {state.window.from_text or '…'} to {state.window.until_text or '…'}")
        raise OaiError(
            "noRecordsMatch", MSG_NO_RECORDS.format(which=(" (" + ", ".join(which) + ")") if which else "")
        )
    more = len(headers) > limit
    headers = headers[:limit]
    codes = library_codes({i for h in headers for i in (h.library_ids or [])})
    body = etree.Element(_O + verb)
    if verb == "ListIdentifiers":
        for header in headers:
            _header_element(body, header, codes)
    else:
        live_ids = [h.id for h in headers if not h.deleted]
        records = {r.pk: r for r in BibRecord.objects.filter(pk__in=live_ids).only(*DC_FIELDS)}
        marc = records_marc(list(records.values())) if state.window.prefix == "marc21" else {}
        for header in headers:
            record = records.get(header.id)
            if record is None:
                header.deleted = True  # deleted between the two statements: it is gone now
            _record_element(body, header, record, state.window.prefix, codes, marc)
    if more or state.cursor:
        # A later page, or the first of several; the last page has an empty token (spec 3.5).
        token = ""
        if more:
            token = encode_token(
                verb, ListState(state.window, headers[-1].id, state.cursor + len(headers), size)
            )
        attributes = {"cursor": str(state.cursor)}
        if size is not None:
            attributes["completeListSize"] = str(max(size, state.cursor + len(headers)))
        _sub(body, "resumptionToken", token, **attributes)
    return body


class _Errors(Exception):
    def __init__(self, errors: Sequence[OaiError]) -> None:
        super().__init__(errors)
        self.errors = list(errors)


def _check_arguments(verb: str, params: Mapping[str, list[str]]) -> tuple[dict[str, str], list[OaiError]]:
    required, optional = VERBS[verb]
    errors: list[OaiError] = []
    arguments: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in required and name not in optional:
            errors.append(OaiError("badArgument", MSG_ILLEGAL.format(verb=verb, name=name[:40])))
            continue
        if len(values) > 1:
            errors.append(OaiError("badArgument", MSG_REPEATED.format(name=name)))
            continue
        if not values or not values[0]:
            errors.append(OaiError("badArgument", MSG_EMPTY.format(name=name)))
            continue
        arguments[name] = values[0]
    if "resumptionToken" in arguments:
        others = [n for n in arguments if n != "resumptionToken"]
        if others:
            errors.append(OaiError("badArgument", MSG_EXCLUSIVE.format(verb=verb, names=", ".join(others))))
        return arguments, errors
    for name in required:
        if name not in params:
            errors.append(OaiError("badArgument", MSG_MISSING.format(verb=verb, name=name)))
    prefix = arguments.get("metadataPrefix")
    if prefix is not None and not PREFIX_RE.match(prefix):
        errors.append(OaiError("badArgument", MSG_BAD_PREFIX.format(value=prefix[:40])))
    return arguments, errors


def handle(params: Mapping[str, list[str]]) -> bytes:
    """Answer one OAI-PMH request (its arguments, each with all its values) as XML bytes."""
    response = Response()
    verbs = params.get("verb") or []
    if not verbs:
        response.errors.append(OaiError("badVerb", MSG_NO_VERB))
        return _envelope(response)
    if len(verbs) > 1:
        response.errors.append(OaiError("badVerb", MSG_REPEATED_VERB))
        return _envelope(response)
    verb = verbs[0]
    if verb not in VERBS:
        response.errors.append(OaiError("badVerb", MSG_BAD_VERB.format(verb=verb[:40])))
        return _envelope(response)
    response.verb = verb
    arguments, errors = _check_arguments(verb, params)
    response.arguments = arguments
    if errors:
        response.errors = errors
        return _envelope(response)
    try:
        response.body = _dispatch(verb, arguments)
    except OaiError as error:
        response.errors.append(error)
    except _Errors as group:
        response.errors.extend(group.errors)
    return _envelope(response)


def _dispatch(verb: str, arguments: dict[str, str]) -> etree._Element:
    if verb == "Identify":
        return _identify()
    if verb == "ListMetadataFormats":
        return _list_metadata_formats(arguments.get("identifier", ""))
    if verb == "ListSets":
        if "resumptionToken" in arguments:
            raise OaiError("badResumptionToken", MSG_SETS_TOKEN)
        return _list_sets()
    if verb == "GetRecord":
        return _get_record(arguments["identifier"], arguments["metadataPrefix"])
    if "resumptionToken" in arguments:
        state = decode_token(verb, arguments["resumptionToken"])
    else:
        prefix = arguments["metadataPrefix"]
        window = list_window(
            prefix, arguments.get("set", ""), arguments.get("from", ""), arguments.get("until", "")
        )
        if prefix not in METADATA_FORMATS:
            raise OaiError("cannotDisseminateFormat", MSG_FORMAT.format(prefix=prefix[:40]))
        state = ListState(window=window)
    return _list(verb, state)
