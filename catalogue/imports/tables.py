"""The columns an import loads with COPY, one list per table (catalogue.imports.copy's
CopyLayout builds both a row's text and the statement from it), and its staging tables."""

from __future__ import annotations

from catalogue.imports.copy import CopyLayout

BIB_FIELDS = (
    "title",
    "subtitle",
    "title_vernacular",
    "authors",
    "publisher",
    "place",
    "year",
    "edition",
    "volume",
    "language",
    "format",
    "isbns",
    "issns",
    "lccn",
    "oclc_numbers",
    "subjects",
    "summary",
)

# Touched BibRecords go through a session-local staging table loaded with COPY: one INSERT
# ... SELECT for the new ones, one UPDATE ... FROM for the existing ones. The statements
# stay small and fixed (no thousand-row VALUES lists to build in Python and parse in the
# server). The UPDATE rewrites a record's fields, its search document (the same weighted
# texts as catalogue.indexing.refresh_search_documents) and its holding arrays (the same
# aggregate as refresh_holding_arrays): one row version per record per batch, not three.
# The columns a parser renders for a record of its own come first (BIB_OWN); da..dd are
# the search document's four texts (catalogue.indexing.document_parts).
BIB_OWN = (*BIB_FIELDS, "match_key", "match_keys", "da", "db", "dc", "dd")
_STAGE_TYPES = {
    **dict.fromkeys(BIB_FIELDS, "text"),
    "authors": "text[]",
    "isbns": "varchar[]",
    "issns": "varchar[]",
    "oclc_numbers": "varchar[]",
    "subjects": "text[]",
    "year": "smallint",
    "match_key": "text",
    "match_keys": "varchar[]",
    "da": "text",
    "db": "text",
    "dc": "text",
    "dd": "text",
    "id": "bigint",
    "library_ids": "integer[]",
    "province_ids": "smallint[]",
    "preferred": "bigint",
    "richness": "integer",
    "now": "timestamptz",
    "fresh": "boolean",
}
BIB_STAGE = CopyLayout("ish_bib_stage", tuple(_STAGE_TYPES), head=BIB_OWN)
BIB_STAGE_SQL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS ish_bib_stage ("
    + ", ".join(f"{c} {_STAGE_TYPES[c]}" for c in BIB_STAGE.columns)
    + ") ON COMMIT DELETE ROWS"
)

# A source record's own columns, rendered by the parser (the marc bytes travel only in
# this form); new source records are loaded into their table, changed ones (a re-import)
# are rewritten from their own staging table.
SOURCE_OWN = ("local_id", "marc", "source_format", "checksum", "data", "richness")
SOURCE_INSERT = CopyLayout(
    "catalogue_sourcerecord",
    (
        *SOURCE_OWN,
        "id",
        "library_id",
        "bib_record_id",
        "withdrawn",
        "last_job_id",
        "created_at",
        "updated_at",
    ),
    head=SOURCE_OWN,
)
SOURCE_STAGE = CopyLayout("ish_source_stage", (*SOURCE_OWN, "id", "bib", "job", "now"), head=SOURCE_OWN)
SOURCE_STAGE_SQL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS ish_source_stage (local_id text, marc bytea, source_format text,"
    " checksum text, data jsonb, richness integer, id bigint, bib bigint, job bigint, now timestamptz)"
    " ON COMMIT DELETE ROWS"
)

# A holding's own columns, rendered by the parser; ids added by the batch's plan.
HOLDING_OWN = ("holding_key", "call_number", "location", "barcode", "item_count", "lendable", "status")
HOLDING_INSERT = CopyLayout(
    "catalogue_holding",
    (*HOLDING_OWN, "source_id", "library_id", "bib_record_id", "created_at", "updated_at"),
    head=HOLDING_OWN,
)
