"""SRW: SRU's requests and responses carried in SOAP 1.1 envelopes, POSTed as text/xml.

yaz-client, and the ZOOM library Koha copy-catalogues through, speak SRW to an http:// target
by default. A request is one envelope whose Body holds a searchRetrieveRequest or an
explainRequest (or a scanRequest) in the SRW namespace, its children the SRU parameters
by name; the answer is the same response element SRU returns, in an envelope. An envelope
that cannot be read is answered with a SOAP Fault (faultcode Client) that says what and
where, as SOAP 1.1 has it: HTTP 500 for faults."""

from __future__ import annotations

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from lxml import etree

from catalogue.sru.protocol import SRW_NS, handle

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BYTES = 64 * 1024  # an SRW request is a query and a few numbers; a bigger body is not one
CONTENT_TYPES = ("text/xml", "application/soap+xml", "application/xml")
_OPERATIONS = {"searchRetrieveRequest": "searchRetrieve", "explainRequest": "explain", "scanRequest": "scan"}


class Fault(Exception):
    """A request that is not an SRW envelope the portal can answer."""


def is_srw(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() in CONTENT_TYPES


def parameters(body: bytes) -> dict[str, list[str]]:
    """The SRU parameters of an SRW request envelope."""
    if not body.strip():
        raise Fault("The request body is empty: send a SOAP envelope with a searchRetrieveRequest.")
    if len(body) > MAX_BYTES:
        raise Fault(f"The request body is {len(body)} bytes; an SRW request is at most {MAX_BYTES}.")
    try:
        root = SafeET.fromstring(body)
    except DefusedXmlException as exc:
        raise Fault(f"The envelope may not declare a DTD or entities ({type(exc).__name__}).") from exc
    except SafeET.ParseError as exc:
        line, column = exc.position
        raise Fault(f"Line {line}, column {column}: the envelope is not well-formed XML.") from exc
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise Fault(f"The root element is {root.tag}; an SRW request is a SOAP 1.1 Envelope ({SOAP_NS}).")
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    request = next(iter(soap_body), None) if soap_body is not None else None
    if request is None:
        raise Fault("The envelope has no Body, or an empty one: put a searchRetrieveRequest in it.")
    namespace, _, name = (
        request.tag[1:].partition("}") if request.tag.startswith("{") else ("", "", request.tag)
    )
    if namespace != SRW_NS or name not in _OPERATIONS:
        raise Fault(
            f"Body/{name or request.tag}: the portal answers searchRetrieveRequest and explainRequest"
            f" in namespace {SRW_NS}."
        )
    params: dict[str, list[str]] = {"operation": [_OPERATIONS[name]]}
    for child in request:
        local = child.tag.rpartition("}")[2]
        if local == "extraRequestData":
            continue
        params.setdefault(local, []).append((child.text or "").strip())
    params.setdefault("version", ["1.1"])
    return params


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"SOAP-ENV": SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Body").append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def answer(body: bytes) -> tuple[bytes, int]:
    """(response envelope, HTTP status) for an SRW request body."""
    try:
        params = parameters(body)
    except Fault as fault:
        soap_fault = etree.Element(f"{{{SOAP_NS}}}Fault")
        etree.SubElement(soap_fault, "faultcode").text = "SOAP-ENV:Client"
        etree.SubElement(soap_fault, "faultstring").text = str(fault)
        return _envelope(soap_fault), 500
    response = etree.fromstring(handle(params))
    return _envelope(response), 200
