"""Demo catalogue: real records from ../shared/data/marc imported for several libraries,
with overlaps so that merged records show several holding libraries.

* PK-LUMS: the 30 Library of Congress records of traject (binary MARC21, Urdu/Persian/Arabic
  with 880 vernacular fields);
* PK-QAU: the same 30 records as MARCXML (they merge with LUMS's);
* PK-UOK: Duke's TRLN fixtures, PK-PU: UNC's (one file each, one record per 001);
* PK-UOP: a spreadsheet (CSV) of some LC titles and Urdu books, as libraries without MARC send;
* PK-PU also: well-known Urdu books (demo_data/urdu-books.xml) catalogued the three ways
  catalogues record Urdu: romanized with the Urdu-script title in an 880, romanized only,
  and in Urdu script only, so cross-script search shows in the demo.

Idempotent: a library whose demo file was already imported is skipped.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from django.conf import settings

from catalogue.marc import FileRejected, detect_format, iter_items
from catalogue.models import BibRecord, Holding, ImportJob, SourceRecord
from catalogue.services import import_job_create, import_job_run
from members.models import Library

logger = logging.getLogger(__name__)

DEMO_CSV_ROWS = [
    # id, title, author, isbn, year, publisher, place, call number, barcode, language
    (
        "UOP-0001",
        "Aag ka darya",
        "Hyder, Qurratulain",
        "",
        "1959",
        "Maktaba-yi Jadid",
        "Lahore",
        "PK2200.H9 A7",
        "UOP-100001",
        "urd",
    ),
    (
        "UOP-0002",
        "Udas naslen",
        "Husain, Abdullah",
        "",
        "1963",
        "Naya Idarah",
        "Lahore",
        "PK2200.H82 U3",
        "UOP-100002",
        "urd",
    ),
    (
        "UOP-0003",
        "Raja gidh",
        "Qudsiyah, Banu",
        "",
        "1981",
        "Sang-e-Meel Publications",
        "Lahore",
        "PK2200.Q3 R3",
        "UOP-100003",
        "urd",
    ),
]


URDU_BOOKS = Path(__file__).with_name("demo_data") / "urdu-books.xml"


def data_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "marc"


def _records_once(paths: list[Path]) -> bytes:
    """One MARC21 file of these fixtures, keeping the first record of each 001."""
    seen: set[str] = set()
    out = io.BytesIO()
    from catalogue.marc import process_item

    for path in paths:
        try:
            for item in iter_items(path, detect_format(path)):
                result = process_item(item)
                if "error" in result or result["local_id"] in seen:
                    continue
                seen.add(result["local_id"])
                out.write(result["marc"])
        except FileRejected:
            continue
    return out.getvalue()


def _csv_for_uop(root: Path) -> bytes:
    rows = list(DEMO_CSV_ROWS)
    lc = root / "traject" / "test_data.utf8.mrc"
    from catalogue.marc import process_item

    for n, item in enumerate(iter_items(lc, "marc")):
        result = process_item(item)
        if n % 3 or "error" in result:
            continue
        f = result["fields"]
        rows.append(
            (
                f"UOP-LC{n:03d}",
                f["title"],
                (f["authors"] or [""])[0],
                (f["isbns"] or [""])[0],
                str(f["year"] or ""),
                f["publisher"],
                f["place"],
                "",
                f"UOP-2{n:05d}",
                f["language"],
            )
        )
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["ID", "Title", "Author", "ISBN", "Year", "Publisher", "Place", "Call Number", "Barcode", "Language"]
    )
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _import(code: str, name: str, content: bytes, fmt: str) -> bool:
    library = Library.objects.filter(code=code).first()
    if library is None or not content:
        return False
    if ImportJob.objects.filter(library=library, original_name=name, status=ImportJob.Status.DONE).exists():
        return False
    job = import_job_create(actor=None, library=library, file=io.BytesIO(content), name=name, fmt=fmt)
    import_job_run(job_id=job.pk, processes=1)
    return True


def seed() -> dict[str, int]:
    root = data_dir()
    if not root.exists():
        logger.warning("Demo catalogue skipped: no shared MARC data at %s", root)
        print(f"catalogue: demo records skipped, {root} not found")  # noqa: T201 - seed_demo output
        return {"records": 0, "source records": 0, "holdings": 0}
    before = (BibRecord.objects.count(), SourceRecord.objects.count(), Holding.objects.count())
    traject = root / "traject"
    trln = root / "trln-marc-to-argot"
    plan = [
        ("PK-LUMS", "lc-test-data.mrc", lambda: (traject / "test_data.utf8.mrc").read_bytes(), "marc"),
        ("PK-QAU", "lc-test-data.xml", lambda: (traject / "test_data.utf8.marc.xml").read_bytes(), "marcxml"),
        ("PK-UOK", "duke-records.mrc", lambda: _records_once(sorted((trln / "duke").rglob("*.*"))), "marc"),
        ("PK-PU", "unc-records.mrc", lambda: _records_once(sorted((trln / "unc").rglob("*.*"))), "marc"),
        ("PK-UOP", "uop-catalogue.csv", lambda: _csv_for_uop(root), "csv"),
        ("PK-PU", "urdu-books.xml", lambda: URDU_BOOKS.read_bytes(), "marcxml"),
    ]
    for code, name, content, fmt in plan:
        if not ImportJob.objects.filter(library__code=code, original_name=name, status="done").exists():
            _import(code, name, content(), fmt)
    after = (BibRecord.objects.count(), SourceRecord.objects.count(), Holding.objects.count())
    return {
        "records": after[0] - before[0],
        "source records": after[1] - before[1],
        "holdings": after[2] - before[2],
    }
