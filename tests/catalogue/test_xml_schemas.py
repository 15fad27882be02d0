"""The schemas the /oai, /sru and MARCXML export tests validate against: the official ones,
byte for byte as published, wherever shared/ has them."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from tests.catalogue.xml_helpers import (
    MARC21_SLIM_XSD,
    OAI_PMH_XSD,
    OFFICIAL_SCHEMAS,
    OFFICIAL_SHA256,
    load_schema,
    official_schemas_missing,
    schema_file,
)


def _needs_official_schemas():
    if missing := official_schemas_missing():
        pytest.skip(f"!! {OFFICIAL_SCHEMAS} lacks the official {', '.join(missing)}: stand-ins were used")


def test_the_official_schemas_are_the_published_bytes():
    _needs_official_schemas()
    # given the official files beside the repository
    # then each is the published file to the byte (no reformatting, no edited import)
    for name, sha256 in OFFICIAL_SHA256.items():
        assert hashlib.sha256((OFFICIAL_SCHEMAS / name).read_bytes()).hexdigest() == sha256, name


def test_the_validation_uses_them_and_their_own_rules():
    _needs_official_schemas()
    # given the official OAI-PMH and MARC21 slim schemas, with their imports resolved locally
    assert schema_file(OAI_PMH_XSD).parent == OFFICIAL_SCHEMAS
    oai, marc = load_schema(OAI_PMH_XSD), load_schema(MARC21_SLIM_XSD)
    # then an Identify whose adminEmail has no domain is refused (OAI-PMH.xsd's emailType)
    identify = etree.fromstring(
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2025-01-01T00:00:00Z'
        b'</responseDate><request verb="Identify">https://x.example/oai</request><Identify>'
        b"<repositoryName>x</repositoryName><baseURL>https://x.example/oai</baseURL>"
        b"<protocolVersion>2.0</protocolVersion><adminEmail>catalogue@x.example</adminEmail>"
        b"<earliestDatestamp>2025-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent"
        b"</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>"
    )
    assert oai.validate(identify)
    identify.find(".//{*}adminEmail").text = "catalogue"
    assert not oai.validate(identify)
    # and a MARC record with an upper-case indicator is refused (MARC21slim.xsd 1.2's pattern)
    record = (
        b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        b'<datafield tag="245" ind1="1" ind2="IND"><subfield code="a">T</subfield></datafield></record>'
    )
    assert marc.validate(etree.fromstring(record.replace(b"IND", b"0")))
    assert not marc.validate(etree.fromstring(record.replace(b"IND", b"A")))
