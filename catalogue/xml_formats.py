"""The union catalogue's records as XML elements (lxml) for OAI-PMH and SRU: MARC21 slim
(MARCXML) and Dublin Core.

Text goes in through lxml, which escapes it; characters XML 1.0 cannot carry at all
(C0 controls, lone surrogates, U+FFFE/U+FFFF: MARC-8 leftovers do occur) are dropped
first, since lxml refuses them. Leaders, indicators and subfield codes are fitted to what
the MARC21 slim schema allows, so one odd source record cannot make a harvest invalid.
"""

from __future__ import annotations

import re

import pymarc
from django.conf import settings
from lxml import etree

from catalogue.models import BibRecord, Format
from catalogue.normalize import has_arabic_script

XSI = "http://www.w3.org/2001/XMLSchema-instance"
MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
SRW_DC_SCHEMA = "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd"

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# MARC21slim.xsd: tags, indicators and subfield codes.
_CONTROL_TAG = re.compile(r"^00[1-9A-Za-z]$")
_DATA_TAG = re.compile(r"^(0[1-9A-Z][0-9A-Z]|0[1-9a-z][0-9a-z]|[1-9A-Z][0-9A-Z]{2}|[1-9a-z][0-9a-z]{2})$")
_INDICATOR = re.compile(r"^[\da-z ]$")
_SUBFIELD_CODE = re.compile(r"^[\dA-Za-z!\"#$%&'()*+,\-./:;<=>?{}_^`~\[\]\\]$")
# leaderDataType, position by position: [\d ]{5} [\dA-Za-z ] [\dA-Za-z] [\dA-Za-z ]{3}
# (2| ) (2| ) [\d ]{5} [\dA-Za-z ]{3} (4500|    )
_LEADER_CLASSES = "d" * 5 + "a" + "A" + "a" * 3 + "2" * 2 + "d" * 5 + "a" * 3
_LEADER_OK = {
    "d": re.compile(r"[\d ]"),
    "a": re.compile(r"[\dA-Za-z ]"),
    "A": re.compile(r"[\dA-Za-z]"),
    "2": re.compile(r"[2 ]"),
}
_LEADER_FALLBACK = {"d": " ", "a": " ", "A": "m", "2": " "}

# Portal formats as DCMI Type vocabulary terms (LC's MARC to Dublin Core crosswalk).
_DCMI_TYPE = {
    Format.MAP: "Image",
    Format.AUDIO: "Sound",
    Format.VIDEO: "MovingImage",
}
# MARC language codes of Arabic-script vernacular titles, as BCP 47 tags for xml:lang.
_SCRIPT_LANGUAGE = {
    "urd": "ur",
    "per": "fa",
    "ara": "ar",
    "pus": "ps",
    "snd": "sd",
    "pan": "pa",
    "bal": "bal",
}


def xml_text(value: object) -> str:
    """A value as text XML 1.0 can carry."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _leader(raw: str) -> str:
    text = xml_text(raw)[:24].ljust(24)
    out = [
        ch if _LEADER_OK[kind].fullmatch(ch) else _LEADER_FALLBACK[kind]
        for ch, kind in zip(text[:20], _LEADER_CLASSES, strict=True)
    ]
    tail = text[20:]
    return "".join(out) + (tail if tail in ("4500", "    ") else "4500")


def _indicator(value: str | None) -> str:
    value = (value or " ")[:1]
    return value if _INDICATOR.match(value) else " "


def _subfield_code(value: str | None) -> str:
    value = (value or "")[:1]
    return value if _SUBFIELD_CODE.match(value) else "_"


def marc_element(record: pymarc.Record, *, schema_location: bool = True) -> etree._Element:
    """A MARC record as a MARC21 slim <record> element."""
    m = f"{{{MARC_NS}}}"
    root = etree.Element(m + "record", nsmap={None: MARC_NS, "xsi": XSI})
    if schema_location:
        root.set(f"{{{XSI}}}schemaLocation", f"{MARC_NS} {MARC_SCHEMA}")
    root.set("type", "Bibliographic")
    etree.SubElement(root, m + "leader").text = _leader(str(record.leader or ""))
    # The schema puts every control field before the data fields.
    for field in record.fields:
        tag = xml_text(field.tag)
        if field.is_control_field() and _CONTROL_TAG.match(tag):
            etree.SubElement(root, m + "controlfield", tag=tag).text = xml_text(field.data)
    for field in record.fields:
        tag = xml_text(field.tag)
        if field.is_control_field() or not _DATA_TAG.match(tag) or not field.subfields:
            continue  # the schema wants at least one subfield and a well-formed tag
        datafield = etree.SubElement(
            root,
            m + "datafield",
            tag=tag,
            ind1=_indicator(field.indicator1),
            ind2=_indicator(field.indicator2),
        )
        for subfield in field.subfields:
            etree.SubElement(datafield, m + "subfield", code=_subfield_code(subfield.code)).text = xml_text(
                subfield.value
            )
    return root


def marcxml_document(record: pymarc.Record) -> bytes:
    """A MARC21 slim <collection> of one record, as a file: XML declaration, schema location."""
    collection = etree.Element(f"{{{MARC_NS}}}collection", nsmap={None: MARC_NS, "xsi": XSI})
    collection.set(f"{{{XSI}}}schemaLocation", f"{MARC_NS} {MARC_SCHEMA}")
    collection.append(marc_element(record, schema_location=False))
    return etree.tostring(collection, xml_declaration=True, encoding="UTF-8")


def record_url(record_id: int) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/records/{record_id}/"


def dc_values(record: BibRecord) -> list[tuple[str, str, str]]:
    """(element, value, xml:lang) of the record's Dublin Core description."""
    values: list[tuple[str, str, str]] = []
    title = record.title + (f" : {record.subtitle}" if record.subtitle else "")
    values.append(("title", title, ""))
    if record.title_vernacular:
        lang = _SCRIPT_LANGUAGE.get(record.language, "") if has_arabic_script(record.title_vernacular) else ""
        values.append(("title", record.title_vernacular, lang))
    values += [("creator", author, "") for author in record.authors]
    values += [("subject", subject, "") for subject in record.subjects]
    if record.summary:
        values.append(("description", record.summary, ""))
    if record.publisher:
        values.append(("publisher", record.publisher, ""))
    if record.year:
        values.append(("date", str(record.year), ""))
    values.append(("type", _DCMI_TYPE.get(record.format, "Text"), ""))
    if record.format in Format.values:
        values.append(("type", str(Format(record.format).label), ""))
    values += [("identifier", f"urn:isbn:{isbn}", "") for isbn in record.isbns]
    values += [("identifier", f"urn:issn:{issn}", "") for issn in record.issns]
    values.append(("identifier", record_url(record.pk), ""))
    if record.language:
        values.append(("language", record.language, ""))
    return values


def _dc_into(root: etree._Element, record: BibRecord) -> etree._Element:
    for name, value, lang in dc_values(record):
        text = xml_text(value).strip()
        if not text:
            continue
        element = etree.SubElement(root, f"{{{DC_NS}}}{name}")
        element.text = text
        if lang:
            element.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return root


def oai_dc_element(record: BibRecord) -> etree._Element:
    """The record as <oai_dc:dc> (OAI-PMH's unqualified Dublin Core)."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    return _dc_into(root, record)


def srw_dc_element(record: BibRecord) -> etree._Element:
    """The record as <srw_dc:dc> (SRU's Dublin Core record schema)."""
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    return _dc_into(root, record)


# Columns Dublin Core and the headers read: list pages load only these.
DC_FIELDS = (
    "id",
    "title",
    "subtitle",
    "title_vernacular",
    "authors",
    "subjects",
    "summary",
    "publisher",
    "year",
    "format",
    "isbns",
    "issns",
    "language",
    "preferred_source_id",
    "library_ids",
    "updated_at",
)
