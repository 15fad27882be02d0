"""Rebuild match_pairs.json: labelled record pairs from ../shared/data/marc (run by hand).

Labels come from the records' provenance, never from the matcher:
* the 30 traject LC records exist as binary and MARCXML: the same record twice = same;
* TRLN fixtures that are edited copies of one catalogue record (same 001 and OCLC number,
  same title) = same, except copies whose edit replaced the title or reused the record
  shell for another work (then: different, or left out when the edit is a test artefact);
* different LC records = different, except the two LC records of Kubo Sakae's book
  (same title, publisher, year, 480 pages: a real duplicate in LC's catalogue) = same;
* hard negatives: records that share a matching block key (title prefix, author+year) but
  come from different catalogue records.

Usage: .venv/bin/python tests/catalogue/data/build_match_pairs.py
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

from catalogue.marc import FileRejected, detect_format, iter_items, process_item
from catalogue.matching import block_keys

ROOT = Path(__file__).resolve().parents[4] / "shared" / "data" / "marc"
OUT = Path(__file__).with_name("match_pairs.json")
# Edits that made a fixture no longer a description of the book (test artefacts): left out.
ARTEFACTS = {
    "trln-marc-to-argot/unc/subject2.mrc",  # title replaced by "Test record"
    "trln-marc-to-argot/unc/related_work_addtl_7XX.mrc",  # title replaced by "Test Title"
    "trln-marc-to-argot/unc/series_statement.mrc",  # invented series numbers added
    "trln-marc-to-argot/duke/author_facet.mrc",  # author replaced by "Author (100 field)"
    "trln-marc-to-argot/duke/items.mrc",  # same edit as author_facet
}


def load() -> list[tuple[str, int, dict]]:
    records = []
    for path in sorted(ROOT.rglob("*")):
        if path.suffix not in (".mrc", ".marc", ".xml"):
            continue
        name = str(path.relative_to(ROOT))
        try:
            for index, item in enumerate(iter_items(path, detect_format(path))):
                result = process_item(item)
                if "error" not in result:
                    records.append((name, index, result))
        except FileRejected:
            continue
    return records


def main() -> None:
    records = load()
    pairs = []
    lc_bin = [r for r in records if r[0] == "traject/test_data.utf8.mrc"]
    lc_xml = [r for r in records if r[0] == "traject/test_data.utf8.marc.xml"]
    for a, b in zip(lc_bin, lc_xml, strict=True):
        pairs.append((a, b, True, "same LC record as ISO 2709 and as MARCXML"))
    kubo = {"00314247", "2008543486"}
    for a, b in itertools.combinations(lc_bin, 2):
        if {a[2]["local_id"], b[2]["local_id"]} == kubo:
            pairs.append((a, b, True, "two LC records of one book: same title, publisher, year, 480 p."))
        else:
            pairs.append((a, b, False, "different LC records"))
    trln = [r for r in records if r[0].startswith("trln") and r[0] not in ARTEFACTS]
    groups: dict[str, list] = defaultdict(list)
    for r in trln:  # DUKE002959320 and 002959320: one record, 001 with/without the prefix
        groups[r[2]["local_id"].removeprefix("DUKE").removeprefix("UNC")].append(r)
    for members in groups.values():
        for a, b in itertools.combinations(members, 2):
            if a[2]["fields"]["title"] == b[2]["fields"]["title"]:
                pairs.append((a, b, True, "edited copies of one catalogue record (same 001, OCLC, title)"))
            else:
                pairs.append((a, b, False, "fixture reused a record shell (same 001/OCLC) for another work"))
    by_key: dict[str, list] = defaultdict(list)
    for r in trln + lc_bin:
        for key in block_keys(r[2]["fields"]):
            if key.startswith(("t:", "a:")):
                by_key[key].append(r)
    seen = set()
    for members in by_key.values():
        for a, b in itertools.combinations(members, 2):
            ids = (a[2]["local_id"], b[2]["local_id"])
            bare = {i.removeprefix("DUKE").removeprefix("UNC") for i in ids}
            if len(bare) == 1 or {*ids} == kubo or (a[0], a[1], b[0], b[1]) in seen:
                continue
            seen.add((a[0], a[1], b[0], b[1]))
            pairs.append((a, b, False, "different catalogue records sharing a title or author+year key"))
    rows = [
        {"a": [a[0], a[1]], "b": [b[0], b[1]], "same": same, "reason": reason} for a, b, same, reason in pairs
    ]
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")
    print(f"{len(rows)} pairs, {sum(r['same'] for r in rows)} same -> {OUT}")


if __name__ == "__main__":
    main()
