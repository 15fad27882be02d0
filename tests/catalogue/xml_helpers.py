"""Parsing and schema-validating the XML of /oai and /sru in tests."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "all.xsd")))

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
    "srw": "http://www.loc.gov/zing/srw/",
    "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    "srw_dc": "info:srw/schema/1/dc-schema",
    "zr": "http://explain.z3950.org/dtd/2.0/",
}


def valid_xml(body: bytes) -> etree._Element:
    """The parsed document, asserting it is valid against the schemas in schemas/."""
    root = etree.fromstring(body)
    if not _SCHEMA.validate(root):
        raise AssertionError(f"invalid against the schemas: {_SCHEMA.error_log}\n{body[:3000]!r}")
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in root.xpath(path, namespaces=NS)]
