"""Facet counts worked out by brute force in Python, and a run of catalogue changes
(imports, re-import, --replace, split, merge, rematch) to check kept counts against."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from catalogue import services
from catalogue.models import BibRecord, SourceRecord
from catalogue.search import FACETS
from members.models import PROVINCE_NUMBERS, Library
from tests.catalogue.conftest import TRAJECT
from tests.catalogue.test_services import marc_record, write


def _decade(year):
    if year is None:
        return None
    return "pre1900" if year < 1900 else str(year // 10 * 10)


def record_values() -> list[dict[str, set[str]]]:
    """Every record's facet values, worked out in Python from the stored columns."""
    codes = dict(Library.objects.values_list("pk", "code"))
    provinces = {n: code for code, n in PROVINCE_NUMBERS.items()}
    out = []
    for r in BibRecord.objects.values(
        "format", "language", "year", "library_ids", "province_ids", "subjects"
    ):
        out.append(
            {
                "library": {codes[i] for i in r["library_ids"]},
                "province": {provinces[n] for n in r["province_ids"]},
                "format": {r["format"]},
                "language": {r["language"]} - {""},
                "decade": {_decade(r["year"])} - {None},
                "subject": set(r["subjects"]) - {""},
            }
        )
    return out


def expected(filters: dict[str, list[str]]) -> tuple[int, dict[str, dict[str, int]]]:
    """Total and disjunctive counts by brute force: each facet under every other facet's filter."""
    records = record_values()
    known = set(Library.objects.values_list("code", flat=True))
    chosen = {name: set(values) for name, values in filters.items() if values}
    if "library" in chosen:
        chosen["library"] &= known
        if not chosen["library"]:
            del chosen["library"]  # only unknown libraries: the filter is ignored

    def passes(record, names):
        return all(record[name] & chosen[name] for name in names)

    total = sum(passes(r, chosen) for r in records)
    counts = {}
    for facet in FACETS:
        tally = Counter()
        for r in records:
            if passes(r, [name for name in chosen if name != facet]):
                tally.update(r[facet])
        counts[facet] = dict(tally)
    return total, counts


def catalogue_changes(library, other_library, tmp_path) -> Iterator[str]:
    """Change the catalogue step by step through the services; yields after each step."""
    services.import_path(actor=None, library=library, path=TRAJECT / "test_data.utf8.mrc")
    yield "import"
    # a second library's copies of the same records merge into them
    services.import_path(actor=None, library=other_library, path=TRAJECT / "test_data.utf8.marc.xml")
    yield "merging import"
    # re-import: one record changes (another year, a holding gone) and one is new
    own = write(
        tmp_path,
        "own.mrc",
        marc_record("L1", "Aag ka darya", year="1959", barcodes=("B1", "B2")),
        marc_record("L2", "Udas naslen", year="1963"),
    )
    services.import_path(actor=None, library=library, path=own)
    again = write(
        tmp_path,
        "again.mrc",
        marc_record("L1", "Aag ka darya", year="1989", barcodes=("B2",)),
        marc_record("L2", "Udas naslen", year="1963"),
        marc_record("L3", "Aakhir-e-shab ke humsafar", year="1979"),
    )
    services.import_path(actor=None, library=library, path=again)
    yield "re-import"
    # --replace: what the file no longer has is withdrawn (its holdings leave the counts)
    services.import_path(actor=None, library=library, path=own, replace=True)
    yield "replace"
    source = SourceRecord.objects.filter(library=other_library, bib_record__sources__library=library).first()
    old = source.bib_record
    new = services.bib_record_split(actor=None, source=source)
    yield "split"
    services.bib_record_merge(actor=None, target=old, other=new)
    yield "merge"
    services.catalogue_rematch()
    yield "rematch"
