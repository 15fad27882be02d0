"""Keep each BibRecord's derived columns current: the search document and the
denormalised holding library / province arrays (docs/performance.md, "Search").

Callers run these inside the same transaction as the change that made them stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection
from psycopg2.extras import execute_values

from catalogue import crossscript
from catalogue.normalize import elision_variants, fold, has_arabic_script
from members.models import PROVINCE_NUMBERS

# Weights of document_parts' four texts: title A, authors B, subjects C, publisher (and
# other text) D.
DOCUMENT_WEIGHTS = ("A", "B", "C", "D")


def document_expression(*texts: str) -> str:
    """The search document in SQL, from the SQL of document_parts' four texts (in its order):
    the one definition for this module's refresh and the import's staging statements."""
    return " || ".join(
        f"setweight(to_tsvector('simple', {text}), '{weight}')"
        for text, weight in zip(texts, DOCUMENT_WEIGHTS, strict=True)
    )


_DOCUMENT_SQL = (
    "UPDATE catalogue_bibrecord AS b"  # noqa: S608 - constants
    f" SET search_document = {document_expression('v.a', 'v.b', 'v.c', 'v.d')}"
    " FROM (VALUES %s) AS v(id, a, b, c, d) WHERE b.id = v.id"
)

# Province numbers are positions in PROVINCE_CODES (1-based, as array_position counts).
PROVINCE_CODES = sorted(PROVINCE_NUMBERS, key=PROVINCE_NUMBERS.get)

_ARRAYS_SQL = """
UPDATE catalogue_bibrecord AS b
SET library_ids = COALESCE(agg.libs, '{}'), province_ids = COALESCE(agg.provs, '{}')
FROM (
    SELECT r.id,
           array_agg(DISTINCT h.library_id ORDER BY h.library_id)
               FILTER (WHERE h.id IS NOT NULL) AS libs,
           array_agg(DISTINCT array_position(%s::text[], l.province::text)::smallint)
               FILTER (WHERE h.id IS NOT NULL) AS provs
    FROM unnest(%s::bigint[]) AS r(id)
    LEFT JOIN catalogue_holding h ON h.bib_record_id = r.id AND h.status <> 'withdrawn'
    LEFT JOIN members_library l ON l.id = h.library_id
    GROUP BY r.id
) AS agg
WHERE b.id = agg.id
"""


def document_parts(record: dict, *, fold: Callable[[str], str] = fold) -> tuple[str, str, str, str]:
    """The four weighted texts of a record, folded exactly as queries are.

    Elided and particle-prefixed words are indexed both ways (normalize.elision_variants).
    Records in a language written in Arabic script, or with Arabic-script text, also carry
    the cross-script keys of their title, authors and subjects (catalogue.crossscript),
    each in its field's weight, so a query in either script finds them; other records
    carry none (an English word's key would only add noise and index size).
    """
    raw = (
        " ".join(filter(None, [record.get("title"), record.get("subtitle"), record.get("title_vernacular")])),
        " ".join(record.get("authors") or []),
        " ".join(record.get("subjects") or []),
    )
    title, authors, subjects = (fold(text) for text in raw)
    other = fold(
        " ".join(
            filter(
                None,
                [record.get("publisher"), record.get("place"), record.get("edition"), record.get("summary")],
            )
        )
    )
    if record.get("language") in crossscript.KEYED_LANGUAGES or (
        not (title.isascii() and authors.isascii() and subjects.isascii())
        and has_arabic_script(title + authors + subjects)
    ):
        title = crossscript.with_keys(title, mark=True)
        authors, subjects = crossscript.with_keys(authors), crossscript.with_keys(subjects)
    # (after the keys: "al-ummah" joined would read "alm", as علم does)
    title, authors, subjects = (
        " ".join([text, *variants]) if (variants := elision_variants(source)) else text
        for text, source in zip((title, authors, subjects), raw, strict=True)
    )
    return title, authors, subjects, other


# The fields document_parts reads.
DOCUMENT_FIELDS = (
    "title",
    "subtitle",
    "title_vernacular",
    "authors",
    "subjects",
    "publisher",
    "place",
    "edition",
    "summary",
    "language",
)


def refresh_search_documents(record_ids: Iterable[int], *, page_size: int = 1000) -> None:
    """Recompute the search document of these records from their current fields."""
    from catalogue.models import BibRecord

    ids = list(record_ids)
    for start in range(0, len(ids), page_size):
        rows = BibRecord.objects.filter(pk__in=ids[start : start + page_size]).values("id", *DOCUMENT_FIELDS)
        values = [(row["id"], *document_parts(row)) for row in rows]
        if values:
            with connection.cursor() as cursor:
                execute_values(cursor, _DOCUMENT_SQL, values, page_size=page_size)


def refresh_holding_arrays(record_ids: Sequence[int]) -> None:
    """Rewrite library_ids/province_ids of these records from their (non-withdrawn) holdings."""
    ids = list(record_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_ARRAYS_SQL, [PROVINCE_CODES, ids])
