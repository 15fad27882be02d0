"""Parsing and schema-validating the XML of /oai, /sru and the MARCXML export in tests.

Every schema is named by the URL its publisher serves it at, and an lxml resolver maps
each URL to a local file: the official copy (OAI-PMH, oai_dc, oai-identifier, MARC21 slim)
from OFFICIAL_SCHEMAS when it is there, else the hand-written stand-in in schemas/, the only
kind there is for SRU 1.2, SRU's Dublin Core, ZeeRex, simple DC and xml.xsd (see
schemas/README.md). The official files are never edited: their own imports are mapped too.
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
# The official schemas, byte for byte as published (see schemas/README.md for where each came
# from): the shared reference data beside the repository, or a folder named by the variable.
OFFICIAL_SCHEMAS = Path(
    os.environ.get("OFFICIAL_XML_SCHEMAS")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "schemas"
)

OAI_PMH_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
OAI_ID_XSD = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
MARC21_SLIM_XSD = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
SIMPLE_DC_XSD = "http://dublincore.org/schemas/xmls/simpledc20021212.xsd"
SRW_TYPES_XSD = "http://www.loc.gov/standards/sru/sru1-1archive/xml-files/srw-types.xsd"
SRW_DIAGNOSTIC_XSD = "http://www.loc.gov/standards/sru/sru1-1archive/xml-files/diagnostic.xsd"
SRW_DC_XSD = "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd"
ZEEREX_XSD = "http://explain.z3950.org/dtd/zeerex-2.0.xsd"

# URL -> (official file in OFFICIAL_SCHEMAS or None where no official copy was found,
#         hand-written stand-in in SCHEMAS)
LOCATIONS: dict[str, tuple[str | None, str]] = {
    OAI_PMH_XSD: ("OAI-PMH.xsd", "oai_pmh.xsd"),
    OAI_DC_XSD: ("oai_dc.xsd", "oai_dc.xsd"),
    OAI_ID_XSD: ("oai-identifier.xsd", "oai_identifier.xsd"),
    MARC21_SLIM_XSD: ("MARC21slim.xsd", "marc21slim.xsd"),
    SIMPLE_DC_XSD: (None, "dc.xsd"),
    "http://www.w3.org/2001/03/xml.xsd": (None, "xml.xsd"),  # what simpledc20021212.xsd imports
    "http://www.w3.org/2001/xml.xsd": (None, "xml.xsd"),
    SRW_TYPES_XSD: (None, "sru_1_2.xsd"),
    SRW_DIAGNOSTIC_XSD: (None, "sru_diagnostic.xsd"),
    SRW_DC_XSD: (None, "srw_dc.xsd"),
    ZEEREX_XSD: (None, "zeerex.xsd"),
}

# SHA-256 of each official file as published (schemas/README.md says where each came from):
# a copy that differs by a byte is not the official schema.
OFFICIAL_SHA256 = {
    "OAI-PMH.xsd": "da217eb992fff3261ce109282e8be17f46f84cfb2e417667aa5c9359744fc55d",
    "oai_dc.xsd": "7383d21bca49c1186627e820a5da7ec209febfc5b4295fada39720ad0cebee9a",
    "oai-identifier.xsd": "4f182bca1e5e50d31d46d7e31f88794d7b4d62bc3f9749d85a540b326c0d8f32",
    "MARC21slim.xsd": "6befa853d5762985a3c23f40400a9b828fbf9b18e330c41808d072b0ed0a8d76",
}


def schema_file(url: str) -> Path:
    """The local file that stands for the schema at url: the official copy when present."""
    official, stand_in = LOCATIONS[url]
    if official and (OFFICIAL_SCHEMAS / official).is_file():
        return OFFICIAL_SCHEMAS / official
    return SCHEMAS / stand_in


def official_schemas_missing() -> list[str]:
    """The official files that OFFICIAL_SCHEMAS lacks, so their stand-ins are used instead."""
    return [f for f, _ in LOCATIONS.values() if f and not (OFFICIAL_SCHEMAS / f).is_file()]


class _PublishedLocations(etree.Resolver):
    """Resolves a schema's imports of published URLs to the local files above."""

    def resolve(self, url, pubid, context):
        if url in LOCATIONS:
            return self.resolve_filename(str(schema_file(url)), context)
        return None  # a relative import between stand-ins: the file beside the importer


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_PublishedLocations())
    return parser


def load_schema(*urls: str) -> etree.XMLSchema:
    """One schema importing those at urls (by namespace), every import resolved locally."""
    if len(urls) == 1:
        return etree.XMLSchema(etree.parse(str(schema_file(urls[0])), _parser()))
    imports = "".join(
        f'<xs:import namespace="{_target_namespace(url)}" schemaLocation="{url}"/>' for url in urls
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(driver, _parser()))


def _target_namespace(url: str) -> str:
    return etree.parse(str(schema_file(url)), _parser()).getroot().get("targetNamespace")


# Every kind of document /oai and /sru write: the response envelopes import what they carry.
_SCHEMA = load_schema(
    OAI_PMH_XSD, OAI_ID_XSD, OAI_DC_XSD, MARC21_SLIM_XSD, SRW_DC_XSD, SRW_TYPES_XSD, ZEEREX_XSD
)

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
    """The parsed document, asserting it is valid against the schemas (official where found)."""
    root = etree.fromstring(body)
    if not _SCHEMA.validate(root):
        raise AssertionError(f"invalid against the schemas: {_SCHEMA.error_log}\n{body[:3000]!r}")
    return root


def check_served_xml(monkeypatch) -> list[str]:
    """Validate every body /oai, /sru and SRW serve from now on, also to clients over HTTP
    (live_server): the failures, one line each, in the list returned. The bodies served are
    unchanged, so a client's own handling of them is what its test sees."""
    import catalogue.oai_views
    import catalogue.sru.srw
    import catalogue.sru_views

    failures: list[str] = []

    def checked(handle):
        def handle_and_validate(params):
            body = handle(params)
            if not _SCHEMA.validate(etree.fromstring(body)):
                failures.append(f"{dict(params)}: {_SCHEMA.error_log.last_error}")
            return body

        return handle_and_validate

    for module in (catalogue.oai_views, catalogue.sru_views, catalogue.sru.srw):
        monkeypatch.setattr(module, "handle", checked(module.handle))
    return failures


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in root.xpath(path, namespaces=NS)]
