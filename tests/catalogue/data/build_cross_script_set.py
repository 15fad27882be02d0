"""Rebuild cross_script_set.json: titles labelled in both scripts, for cross-script recall.

Each entry is one book whose record gives its title twice: romanized (245) and in
Arabic script (the linked 880 $6 245), from
* the Library of Congress records of ../shared/data/marc (Urdu, Persian, Arabic), and
* the demo's Urdu books (catalogue/demo_data/urdu-books.xml: ALA-LC Urdu romanization and
  the Urdu-script title of each book, whichever way the demo catalogues it).
The labels are the records' own pairing of 245 and 880, never the cross-script keys.

Usage: .venv/bin/python tests/catalogue/data/build_cross_script_set.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from catalogue.demo_data.build_urdu_books import BOOKS  # noqa: E402
from catalogue.marc import FileRejected, detect_format, iter_items, process_item  # noqa: E402
from catalogue.normalize import has_arabic_script  # noqa: E402

# How people type the demo's titles without diacritics (common spellings in Pakistani
# catalogues, bookshops and search logs); queried as well as the ALA-LC form.
TYPED = {
    "URDU-001": "Aag ka darya",
    "URDU-002": "Udas naslen",
    "URDU-003": "Raja gidh",
    "URDU-004": "Bang-e-Dra",
    "URDU-005": "Diwan-e-Ghalib",
    "URDU-006": "Khuda ki basti",
    "URDU-007": "Basti",
    "URDU-008": "Shahab nama",
    "URDU-009": "Umrao Jan Ada",
    "URDU-010": "Siyah hashiye",
    "URDU-011": "Naqsh-e-faryadi",
    "URDU-012": "Zarb-e-Kaleem",
    "URDU-013": "Mirat-ul-Uroos",
    "URDU-014": "Ali Pur ka Aili",
    "URDU-015": "Pakistan ki tareekh",
    "URDU-016": "Jungle ki kahaniyan",
}
SHARED = REPO.parent / "shared" / "data" / "marc"
OUT = Path(__file__).with_name("cross_script_set.json")


def _title_proper(title: str) -> str:
    """The title before its subtitle or statement of responsibility."""
    for mark in (" : ", " / ", " = ", " ; "):
        title = title.split(mark)[0]
    return title.strip(" .:/,;")


def from_shared() -> list[dict]:
    entries = []
    for path in sorted(SHARED.rglob("*")):
        if not path.is_file():
            continue
        try:
            items = list(iter_items(path, detect_format(path)))
        except (FileRejected, ValueError):
            continue
        for item in items:
            result = process_item(item)
            fields = result.get("fields")
            if not fields or not has_arabic_script(fields.get("title_vernacular") or ""):
                continue
            if has_arabic_script(fields["title"]):
                continue  # the 245 itself in Arabic script: no romanized form to pair
            entries.append(
                {
                    "source": f"{path.relative_to(SHARED)}#{result.get('local_id')}",
                    "language": fields.get("language") or "",
                    "romanized": _title_proper(fields["title"]),
                    "script": _title_proper(fields["title_vernacular"]),
                }
            )
    return entries


def from_demo() -> list[dict]:
    return [
        {
            "source": f"demo_data/urdu-books.xml#{ident}",
            "language": "urd",
            "romanized": title,
            "script": script,
            "typed": TYPED[ident],
        }
        for ident, _how, title, script, *_rest in BOOKS
    ]


def main() -> None:
    seen: set[tuple[str, str]] = set()
    entries = []
    for entry in from_shared() + from_demo():
        pair = (entry["romanized"], entry["script"])
        if pair not in seen:  # the LC records come as binary and as MARCXML
            seen.add(pair)
            entries.append(entry)
    OUT.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} labelled titles to {OUT}")


if __name__ == "__main__":
    main()
