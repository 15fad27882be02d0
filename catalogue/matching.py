"""Deciding whether two descriptions are the same manifestation.

Two steps, both cheap enough for batch imports:

1. Blocking: every record has a few keys (identifiers, a title prefix, author+year);
   a batch of records finds all candidate BibRecords with ONE query on the table of
   match keys (catalogue.models.MatchKey, a btree), so the cost per record is constant
   and the whole import grows as n log n (index lookups), never n².
2. Comparison: ``compare(a, b)`` scores a candidate with rapidfuzz, after hard vetoes:
   a different format (book / e-book / thesis ...), edition, or volume of a set is
   never merged, whatever the identifiers or titles say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from catalogue import marc
from catalogue.normalize import fold as _fold

# Imports compare the same titles and names many times per batch: fold each string once.
fold = lru_cache(maxsize=200_000)(_fold)
edition_key = lru_cache(maxsize=20_000)(marc.edition_key)
volume_key = lru_cache(maxsize=20_000)(marc.volume_key)

# A candidate is the same manifestation at or above this score.
MATCH_THRESHOLD = 0.85
TITLE_PREFIX = 24

_LEADING_ARTICLES = re.compile(r"^(the|a|an|al|el|le|la|les|der|die|das|il|lo) ")


def _title(fields: dict) -> str:
    return title_key(fields.get("title") or "")


@lru_cache(maxsize=200_000)
def title_key(title: str) -> str:
    """A title as matching compares it: folded, without a leading article."""
    return _LEADING_ARTICLES.sub("", fold(title))


def _surname(fields: dict) -> str:
    authors = fields.get("authors") or []
    if not authors:
        return ""
    words = fold(authors[0].split(",")[0]).split()
    return words[-1] if "," not in authors[0] and words else (words[0] if words else "")


def match_key(fields: dict) -> str:
    """The exact normalized key: title / first author / year / edition / format / volume."""
    parts = [
        _title(fields)[:80],
        _surname(fields)[:30],
        str(fields.get("year") or ""),
        edition_key(fields.get("edition") or ""),
        fields.get("format") or "",
        volume_key(fields.get("volume") or "")[:20],
    ]
    return "|".join(parts)[:200]


def block_keys(fields: dict) -> list[str]:
    """Keys under which candidates are looked up (stored on BibRecord.match_keys)."""
    authors = fields.get("authors") or []
    return list(
        _block_keys(
            tuple(fields.get("isbns") or ()),
            tuple(fields.get("oclc_numbers") or ()),
            tuple(fields.get("issns") or ()),
            fields.get("lccn") or "",
            fields.get("title") or "",
            fields.get("title_vernacular") or "",
            authors[0] if authors else "",
            fields.get("year"),
        )
    )


@lru_cache(maxsize=100_000)
def _block_keys(isbns, oclcs, issns, lccn, title, vernacular, author, year) -> tuple[str, ...]:
    fields = {
        "title": title,
        "title_vernacular": vernacular,
        "authors": [author] if author else [],
        "year": year,
    }
    keys = [f"isbn:{i}" for i in isbns]
    keys += [f"oclc:{n}" for n in oclcs]
    keys += [f"issn:{n}" for n in issns]
    if lccn:
        keys.append(f"lccn:{lccn}")
    title = _title(fields).replace(" ", "")
    if title:
        keys.append(f"t:{title[:TITLE_PREFIX]}")
    vern = fold(fields.get("title_vernacular") or "").replace(" ", "")
    if vern:
        keys.append(f"v:{vern[:TITLE_PREFIX]}")
    # The whole folded name, not the surname: 'khan|1995' would block thousands of records.
    name = fold(author).replace(" ", "")
    if name and year:
        keys.append(f"a:{name[:30]}|{year}")
    return tuple(k[:120] for k in dict.fromkeys(keys))


def _overlap(a: Iterable[str] | None, b: Iterable[str] | None) -> tuple[bool, bool]:
    """(share a value, both non-empty and disjoint)."""
    sa, sb = set(a or ()), set(b or ())
    if not sa or not sb:
        return False, False
    shared = bool(sa & sb)
    return shared, not shared


def _title_similarity(a: dict, b: dict) -> float:
    ta, tb = _title(a), _title(b)
    if not ta or not tb:
        return 0.0
    best = fuzz.ratio(ta, tb)
    full_a = f"{ta} {fold(a.get('subtitle') or '')}".strip()
    full_b = f"{tb} {fold(b.get('subtitle') or '')}".strip()
    best = max(best, fuzz.ratio(full_a, full_b))
    va, vb = fold(a.get("title_vernacular") or ""), fold(b.get("title_vernacular") or "")
    if va and vb:
        best = max(best, fuzz.ratio(va, vb))
    return best / 100.0


def _author_similarity(a: dict, b: dict) -> float | None:
    """Best similarity between the first few names; None when either has no author."""
    aa = [fold(x) for x in (a.get("authors") or [])[:3]]
    bb = [fold(x) for x in (b.get("authors") or [])[:3]]
    if not aa or not bb:
        return None
    # 'Qurrat ul-Ain' = 'Qurratulain': compare without spaces too.
    return (
        max(
            max(fuzz.token_sort_ratio(x, y), fuzz.ratio(x.replace(" ", ""), y.replace(" ", "")))
            for x in aa
            for y in bb
        )
        / 100.0
    )


def _differ(x: str, y: str, *, same_oclc: bool) -> bool:
    """Different edition/volume keys; one side empty is forgiven only under one OCLC number
    (a manifestation-level identifier: the other library just left the statement out)."""
    if x == y:
        return False
    return not (same_oclc and not (x and y))


def vetoes(a: dict, b: dict) -> str | None:
    """Why two descriptions can never be one manifestation, or None."""
    if (a.get("format") or "book") != (b.get("format") or "book"):
        return "format"
    same_oclc = _overlap(a.get("oclc_numbers"), b.get("oclc_numbers"))[0]
    if _differ(edition_key(a.get("edition") or ""), edition_key(b.get("edition") or ""), same_oclc=same_oclc):
        return "edition"
    if _differ(volume_key(a.get("volume") or ""), volume_key(b.get("volume") or ""), same_oclc=same_oclc):
        return "volume"
    ya, yb = a.get("year"), b.get("year")
    if ya and yb and abs(int(ya) - int(yb)) > 1:
        return "year"
    return None


def compare(a: dict, b: dict) -> float:
    """Score in [0, 1] that a and b describe the same manifestation (0 = vetoed)."""
    if vetoes(a, b):
        return 0.0
    title = _title_similarity(a, b)
    oclc_same, oclc_conflict = _overlap(a.get("oclc_numbers"), b.get("oclc_numbers"))
    isbn_same, isbn_conflict = _overlap(a.get("isbns"), b.get("isbns"))
    issn_same, issn_conflict = _overlap(a.get("issns"), b.get("issns"))
    lccn_a, lccn_b = a.get("lccn") or "", b.get("lccn") or ""
    lccn_same = bool(lccn_a and lccn_a == lccn_b)
    # Different LCCNs are no veto: LC itself holds duplicate records of one book.
    if oclc_conflict:
        return 0.0
    if oclc_same or isbn_same or lccn_same or issn_same:
        # An identifier decides, unless the titles show a mistyped or reused number.
        return 0.9 + title / 10 if title >= 0.6 else 0.0
    if isbn_conflict or issn_conflict:
        return 0.0
    if set(re.findall(r"\d+", _title(a))) != set(re.findall(r"\d+", _title(b))):
        return 0.0  # 'Physics 1' and 'Physics 2' are different books
    authors = _author_similarity(a, b)
    if authors is not None and authors < 0.85:
        return 0.0
    if authors is None and bool(a.get("authors")) != bool(b.get("authors")):
        return 0.0  # one names an author, the other none: too weak to merge
    ya, yb = a.get("year"), b.get("year")
    if not (ya and yb):
        return 0.0 if title < 0.97 else 0.86
    if ya != yb:
        return 0.0 if title < 0.97 else 0.86
    if title < 0.9:
        return 0.0
    score = 0.6 * title + 0.4 * (authors if authors is not None else 0.9)
    pa, pb = fold(a.get("publisher") or ""), fold(b.get("publisher") or "")
    if pa and pb and fuzz.token_set_ratio(pa, pb) < 50:
        score -= 0.1
    return score


def best_match(
    fields: dict,
    candidates: Iterable[tuple[int, dict]],
    *,
    forbidden: set[int] | frozenset[int] = frozenset(),
    prefer: int | None = None,
    lowest_id: bool = False,
) -> int | None:
    """The id of the best matching candidate, or None.

    ``prefer`` (a record's current BibRecord) wins whenever it still matches, so a re-import
    does not move records around; with ``lowest_id`` (rematch) the oldest matching record
    wins, so duplicates collapse into one.
    """
    best_id, best_score = None, 0.0
    matched: list[int] = []
    for bib_id, other in candidates:
        if bib_id in forbidden:
            continue
        score = compare(fields, other)
        if score < MATCH_THRESHOLD:
            continue
        matched.append(bib_id)
        if score > best_score:
            best_id, best_score = bib_id, score
    if not matched:
        return None
    if lowest_id:
        return min(matched, key=lambda i: (i < 0, abs(i)))
    if prefer is not None and prefer in matched:
        return prefer
    return best_id


def same_manifestation(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return compare(a, b) >= MATCH_THRESHOLD
