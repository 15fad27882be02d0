"""OAI-PMH 2.0 data provider for the union catalogue (http://www.openarchives.org/OAI/2.0/).

Items are merged records (BibRecord), identified as ``oai:<domain>:bib/<id>``; their
datestamp is ``updated_at`` at second granularity. Formats: oai_dc (from the merged
fields) and marc21 (the preferred source record as MARCXML, catalogue.records).
Sets: ``library:<code>`` (records a member library holds) under ``library``, and
``format:<format>`` under ``format``.

Deleted records are "persistent": services leave a tombstone (DeletedBibRecord) when a
merged record goes away, and tombstones are never pruned.

Lists page by keyset on the record id, not by datestamp, and resumption tokens carry the
request's arguments and the last id sent. An id never changes, so a record updated while
a harvest runs is neither sent twice (it was already passed) nor skipped (not yet
reached: it is sent once, in its newer version); records created meanwhile have higher
ids and come at the end. Every page is one index range scan from the last id, however
deep. A harvester resuming incrementally uses the first page's responseDate as its next
``from`` and so also gets the records changed behind its cursor.
"""
