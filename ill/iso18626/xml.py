"""Reading ISO 18626 XML safely, and checking it against the v1.2 schema.

Two parsers, each for what it does best: defusedxml (on the standard library's expat)
refuses any DOCTYPE, entity declaration or external reference before anything is
expanded, so billion-laughs and external-entity messages stop at the door; lxml, with
entities, DTDs and the network switched off, then builds the tree that is validated
against the XSD shipped in ``schema/``. Every refusal is an ``Iso18626Error`` whose
``error_type`` is one of ISO 18626's five and whose ``error_value`` names the element
path and the offending value.

Leniency, where deployed peers differ from the letter of the schema (and nowhere else):
timezone offsets without a colon (``+0000``, as ReShare and the standard's own samples
write them) are read as ``+00:00``, and an unqualified ``version``/``scheme`` attribute
counts as the qualified one the schema's ``attributeFormDefault="qualified"`` asks for.
A message may come wrapped in ``ISO18626Message`` (the standard) or bare (the samples).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as DefusedET
from lxml import etree

from ill import exceptions as err

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"
SCHEMA_PATH = Path(__file__).parent / "schema" / "ISO-18626-v1_2.xsd"
WRAPPER = "ISO18626Message"
INBOUND = ("request", "supplyingAgencyMessage", "requestingAgencyMessage")
CONFIRMATION_OF = {
    "request": "requestConfirmation",
    "supplyingAgencyMessage": "supplyingAgencyMessageConfirmation",
    "requestingAgencyMessage": "requestingAgencyMessageConfirmation",
}
XS = "{http://www.w3.org/2001/XMLSchema}"

# ISO 18626 errorType values (the schema's type_errorType).
BADLY_FORMED = "BadlyFormedMessage"
UNRECOGNISED_ELEMENT = "UnrecognisedDataElement"
UNRECOGNISED_VALUE = "UnrecognisedDataValue"
UNSUPPORTED_ACTION = "UnsupportedActionType"
UNSUPPORTED_REASON = "UnsupportedReasonForMessageType"

_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_FIRST_TAG = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def q(name: str) -> str:
    """Clark notation for an ISO 18626 element or attribute name."""
    return f"{{{NS}}}{name}"


@dataclass(frozen=True)
class SchemaFacts:
    schema: etree.XMLSchema
    element_names: frozenset[str]  # every element name the schema declares
    datetime_elements: frozenset[str]  # elements of type xs:dateTime
    enumerations: dict[str, frozenset[str]]  # simple type name -> its values


@lru_cache(maxsize=1)
def schema_facts() -> SchemaFacts:
    """The XSD, compiled once per process, and what the handlers need to know from it."""
    doc = etree.parse(str(SCHEMA_PATH), etree.XMLParser(resolve_entities=False, no_network=True))
    names = frozenset(el.get("name") for el in doc.iter(f"{XS}element") if el.get("name"))
    datetimes = frozenset(
        el.get("name") for el in doc.iter(f"{XS}element") if el.get("type") == "xs:dateTime"
    )
    enums = {
        st.get("name"): frozenset(e.get("value") for e in st.iter(f"{XS}enumeration"))
        for st in doc.iter(f"{XS}simpleType")
        if st.get("name")
    }
    return SchemaFacts(etree.XMLSchema(doc), names, datetimes, enums)


@dataclass
class Message:
    """A parsed, schema-valid inbound message."""

    kind: str  # request, supplyingAgencyMessage or requestingAgencyMessage
    element: etree._Element

    @property
    def header(self) -> etree._Element:
        found = self.element.find(q("header"))
        return found if found is not None else self.element.find(q("confirmationHeader"))

    def text(self, path: str, default: str = "") -> str:
        """Text of a child path such as ``messageInfo/reasonForMessage`` (stripped)."""
        found = self.element.find("/".join(q(p) for p in path.split("/")))
        if found is None or found.text is None:
            return default
        return found.text.strip()

    def find(self, path: str) -> etree._Element | None:
        return self.element.find("/".join(q(p) for p in path.split("/")))

    def findall(self, path: str) -> list[etree._Element]:
        return self.element.findall("/".join(q(p) for p in path.split("/")))


def child_text(element: etree._Element | None, name: str) -> str:
    if element is None:
        return ""
    found = element.find(q(name))
    return (found.text or "").strip() if found is not None else ""


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def path_of(element: etree._Element) -> str:
    """A readable path (/request/header/timestamp), with [n] where siblings share a name."""
    parts = []
    node = element
    while node is not None:
        name = local(node.tag)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def sniff_kind(body: bytes) -> str:
    """Best guess of the message type of a body that could not be parsed (for its confirmation)."""
    for name in _FIRST_TAG.findall(body[:4096]):
        text = name.decode("ascii", "replace")
        if text in INBOUND:
            return text
        if text not in (WRAPPER, "xml"):
            break
    return "request"


def _refuse_dangerous(body: bytes) -> None:
    """defusedxml pass: no DTD, no entities, no external references; well-formed."""
    try:
        DefusedET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_DTD_FORBIDDEN.format(name=exc.name)) from exc
    except defusedxml.EntitiesForbidden as exc:
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_ENTITY_FORBIDDEN.format(name=exc.name)) from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise err.Iso18626Error(
            BADLY_FORMED, err.ISO_EXTERNAL_FORBIDDEN.format(name=exc.sysid or exc.pubid or "?")
        ) from exc
    except DefusedET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        detail = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise err.Iso18626Error(
            BADLY_FORMED, err.ISO_NOT_WELL_FORMED.format(line=line, column=column, detail=detail)
        ) from exc


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _lenient(root: etree._Element, facts: SchemaFacts) -> None:
    """The documented leniencies (module docstring), applied before validation."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if local(el.tag) in facts.datetime_elements and el.text:
            el.text = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", el.text.strip())
        for name in ("version", "scheme"):
            if name in el.attrib and q(name) not in el.attrib:
                el.set(q(name), el.attrib.pop(name))


_UNSUPPORTED_CODE = {"action": UNSUPPORTED_ACTION, "reasonForMessage": UNSUPPORTED_REASON}


def _schema_error(root: etree._Element, entry) -> err.Iso18626Error:
    """One libxml2 validation error as ISO 18626 errorType and a value naming the path."""
    facts = schema_facts()
    found = root.getroottree().xpath(entry.path) if entry.path else []
    element = found[0] if found and isinstance(found[0], etree._Element) else None
    where = path_of(element) if element is not None else f"line {entry.line}"
    message = re.sub(r"^Element '[^']*'(?:, attribute '[^']*')?: ", "", entry.message)
    message = message.replace(f"{{{NS}}}", "").replace("[facet 'enumeration'] ", "")
    expected = re.search(r"Expected is \( ([^)]*) \)", message)
    name = entry.type_name
    if name in ("SCHEMAV_CVC_ENUMERATION_VALID", "SCHEMAV_CVC_DATATYPE_VALID_1_2_1") or name.startswith(
        (
            "SCHEMAV_CVC_FACET",
            "SCHEMAV_CVC_PATTERN",
            "SCHEMAV_CVC_LENGTH",
            "SCHEMAV_CVC_MAX",
            "SCHEMAV_CVC_MIN",
        )
    ):
        # ISO 18626 names two of these more precisely: an action, or a reason for a
        # message, that the standard's list does not have.
        error_type = _UNSUPPORTED_CODE.get(
            local(element.tag) if element is not None else "", UNRECOGNISED_VALUE
        )
    elif name == "SCHEMAV_ELEMENT_CONTENT" and "not expected" in message and element is not None:
        # An element the schema does not know is unrecognised; a known one out of place
        # (usually because a required one before it is missing) is a badly formed message.
        error_type = BADLY_FORMED if local(element.tag) in facts.element_names else UNRECOGNISED_ELEMENT
        if error_type == BADLY_FORMED and expected:
            parent = element.getparent()
            where = path_of(parent) if parent is not None else where
            message = err.ISO_MISSING_BEFORE.format(expected=expected.group(1), found=local(element.tag))
    elif name == "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1":
        error_type = UNRECOGNISED_ELEMENT  # an attribute the schema does not allow
    else:
        error_type = BADLY_FORMED
        if expected and "Missing child" in message:
            message = err.ISO_MISSING.format(expected=expected.group(1))
    return err.Iso18626Error(error_type, err.ISO_SCHEMA.format(path=where, detail=message.strip()))


def parse(body: bytes, *, accept: tuple[str, ...] = INBOUND) -> Message:
    """Parse and validate an inbound message (or, for ``accept``, a peer's Confirmation);
    raises Iso18626Error saying what and where."""
    if not body.strip():
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_EMPTY)
    _refuse_dangerous(body)
    try:
        root = etree.fromstring(body, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:  # expat accepted what libxml2 did not (rare)
        line, column = exc.position
        raise err.Iso18626Error(
            BADLY_FORMED, err.ISO_NOT_WELL_FORMED.format(line=line, column=column, detail=exc.msg)
        ) from exc
    qname = etree.QName(root)
    if qname.namespace != NS:
        raise err.Iso18626Error(
            BADLY_FORMED,
            err.ISO_WRONG_NAMESPACE.format(
                element=qname.localname, namespace=qname.namespace or "none", ns=NS
            ),
        )
    facts = schema_facts()
    _lenient(root, facts)
    if not facts.schema.validate(root):
        raise _schema_error(root, facts.schema.error_log[0])
    element = root[0] if qname.localname == WRAPPER else root
    kind = local(element.tag)
    if kind not in accept:
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_NOT_INBOUND.format(path=path_of(element)))
    return Message(kind=kind, element=element)
