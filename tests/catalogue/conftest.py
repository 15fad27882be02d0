from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

SHARED = Path(settings.BASE_DIR).parent / "shared" / "data" / "marc"
TRAJECT = SHARED / "traject"
TRLN = SHARED / "trln-marc-to-argot"


@pytest.fixture(autouse=True)
def _media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.IMPORT_PARSE_PROCESSES = 1


@pytest.fixture
def served_xml_is_schema_valid(monkeypatch):
    """Every /oai, /sru and SRW response the test causes is valid against the schemas."""
    from tests.catalogue.xml_helpers import check_served_xml

    failures = check_served_xml(monkeypatch)
    yield failures
    assert failures == [], f"{len(failures)} invalid against the schemas:\n" + "\n".join(failures[:10])


def pytest_collection_modifyitems(config, items):
    if not SHARED.exists():
        skip = pytest.mark.skip(reason=f"shared MARC data not found at {SHARED}")
        for item in items:
            if "shared_data" in item.keywords:
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_data: needs the real MARC files in ../shared/data")
