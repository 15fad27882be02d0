"""The union catalogue: merged bibliographic records, libraries' source records, holdings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Library


class Format(models.TextChoices):
    BOOK = "book", _("Book")
    EBOOK = "ebook", _("E-book")
    THESIS = "thesis", _("Thesis")
    SERIAL = "serial", _("Journal or serial")
    MAP = "map", _("Map")
    SCORE = "score", _("Music score")
    AUDIO = "audio", _("Sound recording")
    VIDEO = "video", _("Video")
    MANUSCRIPT = "manuscript", _("Manuscript")
    MICROFORM = "microform", _("Microform")
    OTHER = "other", _("Other")


class BibRecord(models.Model):
    """One merged description of a manifestation, derived from its source records."""

    title = models.TextField()
    title_vernacular = models.TextField(blank=True)  # 880 partner of 245 (e.g. Urdu script)
    subtitle = models.TextField(blank=True)
    authors = ArrayField(models.TextField(), default=list, blank=True)
    publisher = models.TextField(blank=True)
    place = models.TextField(blank=True)
    year = models.SmallIntegerField(null=True, blank=True)
    edition = models.TextField(blank=True)
    volume = models.CharField(max_length=100, blank=True)  # 245$n / 490$v: volumes never merge
    language = models.CharField(max_length=3, blank=True)  # MARC/ISO 639-2 code
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.BOOK)
    isbns = ArrayField(models.CharField(max_length=13), default=list, blank=True)  # ISBN-13 form
    issns = ArrayField(models.CharField(max_length=9), default=list, blank=True)
    lccn = models.CharField(max_length=20, blank=True)
    oclc_numbers = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    subjects = ArrayField(models.TextField(), default=list, blank=True)
    summary = models.TextField(blank=True)
    # Match keys and search document are maintained by catalogue services only.
    # Not indexed: nothing looks records up by it, and every import write paid for two btrees.
    match_key = models.CharField(max_length=200, blank=True)
    # Blocking keys for candidate lookup ("isbn:…", "oclc:…", "t:<title>", "a:<author|year>"),
    # looked up through MatchKey (one row per key, kept by a trigger): catalogue/matching.py.
    match_keys = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    search_document = SearchVectorField(null=True)
    # Denormalised from holdings (docs/performance.md, "Search"): ids of holding libraries and their
    # provinces, rewritten in the same transaction as every holdings change.
    library_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    province_ids = ArrayField(models.SmallIntegerField(), default=list, blank=True)
    # No index on either: every import rewrites thousands of records a batch, and each
    # index is one more entry per rewrite. Nothing looks records up by their preferred
    # source (source records are never deleted), and browsing lists the newest additions
    # by id, which follows creation.
    preferred_source = models.ForeignKey(
        "SourceRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The preferred source's richness while that source is live (NULL: none is, or not
    # known): a source joining the record becomes the preferred one when it is richer, and
    # reading the richness from the source table cost an import batch 37 ms of random
    # reads at a million records (that table is ten times the size of this one).
    preferred_richness = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            GinIndex(fields=["search_document"], name="bib_search_gin"),
            GinIndex(fields=["library_ids"], name="bib_library_ids_gin"),
            GinIndex(fields=["isbns"], name="bib_isbns_gin"),
            # OAI-PMH selective harvesting (from/until) and its earliestDatestamp.
            models.Index(fields=["updated_at", "id"], name="bib_updated_at_id"),
        ]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def imprint(self) -> str:
        """Place, publisher and year as one line ("Lāhaur: Maktabah-yi Jadīd, 1959")."""
        text = f"{self.place}: {self.publisher}" if self.place else self.publisher
        if self.year:
            text = f"{text}, {self.year}" if text else str(self.year)
        return text


class MatchKey(models.Model):
    """One of a record's match keys (BibRecord.match_keys), kept by statement triggers on
    catalogue_bibrecord (migration 0013), so every writer is covered, the ORM included.

    Candidates are looked up by key in this table's btree, (key, record) in one index-only
    scan for a whole import batch. The GIN index on match_keys it replaces cost a GIN scan
    set up for each key (2,600 a batch), and every rewrite of a record, which an import
    does for each record a library's copy joins, inserted all its keys into it again:
    19 µs of a new record's INSERT and 6 µs of a merge's UPDATE. Here a merge writes only
    the keys it adds."""

    pk = models.CompositePrimaryKey("key", "bib_record")
    key = models.CharField(max_length=120)
    # No constraint or index of its own: the trigger keeps the rows in step with the records
    # (a foreign-key check per key would cost as much again), and (key, record) serves all.
    bib_record = models.ForeignKey(
        BibRecord, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.key} -> {self.bib_record_id}"


class SourceRecord(models.Model):
    """A library's own record exactly as it arrived; re-import of the same local id updates it."""

    # db_index off: the unique (library, local_id) index serves lookups by library.
    library = models.ForeignKey(
        Library, on_delete=models.PROTECT, related_name="source_records", db_index=False
    )
    local_id = models.CharField(max_length=100)
    bib_record = models.ForeignKey(
        BibRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="sources"
    )
    marc = models.BinaryField()  # ISO 2709 bytes, lossless (CSV rows are converted to MARC)
    source_format = models.CharField(max_length=10)  # marc, marcxml, csv
    checksum = models.CharField(max_length=64)
    withdrawn = models.BooleanField(default=False)
    # Derived from `marc` (catalogue.marc.extract): what matching and merging read.
    data = models.JSONField(default=dict, blank=True)
    richness = models.PositiveIntegerField(default=0)  # fuller records are preferred
    last_job = models.ForeignKey(
        "ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["library", "local_id"], name="source_unique_local_id")]

    def __str__(self) -> str:
        return f"{self.library_id}:{self.local_id}"


class HoldingQuerySet(models.QuerySet):
    def lendable(self, *, elsewhere_than: int | None = None) -> HoldingQuerySet:
        """Copies a member may lend: marked lendable, neither withdrawn nor missing; with
        ``elsewhere_than`` (a library id), only other libraries' copies."""
        qs = self.filter(lendable=True).exclude(status__in=[Holding.Status.WITHDRAWN, Holding.Status.MISSING])
        if elsewhere_than is not None:
            qs = qs.exclude(library_id=elsewhere_than)
        return qs


class Holding(models.Model):
    """A library's copy (or copies) of a title."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        ON_LOAN = "on_loan", _("On loan")
        MISSING = "missing", _("Missing")
        IN_PROCESS = "in_process", _("In process")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    source = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="holdings")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="holdings")
    # db_index off: the (bib_record, library) index below serves lookups by record.
    bib_record = models.ForeignKey(
        BibRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="holdings", db_index=False
    )
    # Identity of the holding inside its source record (barcode, else call number/location/n),
    # so a re-import updates holdings in place instead of deleting and recreating them.
    holding_key = models.CharField(max_length=300, blank=True)
    call_number = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    barcode = models.CharField(max_length=100, blank=True)
    item_count = models.PositiveSmallIntegerField(default=1)
    lendable = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["bib_record", "library"])]
        constraints = [
            models.CheckConstraint(condition=Q(item_count__gte=1), name="holding_item_count_positive")
        ]


class ImportJob(models.Model):
    """One uploaded file being imported for a library."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=10)
    replace = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True)  # e.g. CSV column mapping
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # Progress against the file's size (its number of records is known only at the end):
    # the bytes up to the last item of the last committed batch (catalogue.marc.ReadPosition),
    # and where this run of the job started (a resumed run goes on after the first).
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    run_started_at = models.DateTimeField(null=True, blank=True)
    run_bytes_from = models.BigIntegerField(default=0)
    run_records_from = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # English: the command line and the API
    # The same as data (catalogue.import_messages): the import pages say it in the reader's language.
    error_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Refreshed every IMPORT_HEARTBEAT_SECONDS while a worker runs the job (and set when it
    # is queued again): a running job whose heartbeat is older than
    # IMPORT_STALE_AFTER_SECONDS lost its worker (catalogue.imports.jobs.import_jobs_resume_stale).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def imported(self) -> int:
        """Records stored or kept: each counts once, as new, merged, updated or unchanged."""
        return self.created + self.merged + self.updated + self.unchanged

    @property
    def progress(self) -> ImportProgress | None:
        """How far a running job is (None before its first batch is committed)."""
        if self.run_started_at is None or self.bytes_read <= self.run_bytes_from or not self.bytes_total:
            return None
        elapsed = max((timezone.now() - self.run_started_at).total_seconds(), 0.001)
        bytes_per_second = (self.bytes_read - self.run_bytes_from) / elapsed
        left = max(self.bytes_total - self.bytes_read, 0)
        return ImportProgress(
            percent=min(100, int(100 * self.bytes_read / self.bytes_total)),
            records_per_second=round((self.processed - self.run_records_from) / elapsed),
            seconds_left=round(left / bytes_per_second),
        )

    @property
    def error_text(self) -> str:
        """The file's error in the reader's language (as stored when it has no data)."""
        from catalogue.import_messages import message_text

        return message_text(self.error_data, self.error)


@dataclass(frozen=True)
class ImportProgress:
    """A running import: the share of the file's bytes read and committed, the rate of
    this run, and the time left at that rate."""

    percent: int
    records_per_second: int
    seconds_left: int

    @property
    def finish_at(self) -> datetime:
        return timezone.now() + timedelta(seconds=self.seconds_left)


class ImportRecordError(models.Model):
    """One rejected record of an import, with where and why."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    record_number = models.PositiveIntegerField()
    local_id = models.CharField(max_length=100, blank=True)
    reason = models.TextField()  # English: the command line and the API
    reason_data = models.JSONField(default=dict, blank=True)  # catalogue.import_messages

    class Meta:
        ordering = ["record_number"]

    @property
    def reason_text(self) -> str:
        """Why the record was rejected, in the reader's language (as stored when it has no data)."""
        from catalogue.import_messages import message_text

        return message_text(self.reason_data, self.reason)


class SearchTerm(models.Model):
    """The catalogue's own vocabulary (from ts_stat over search documents), for spelling suggestions.

    pg_trgm is not available on the embedded PostgreSQL, so candidates are narrowed by first
    letter and length here and scored with rapidfuzz in Python (catalogue/search.py).
    """

    word = models.TextField(primary_key=True)
    documents = models.PositiveIntegerField()
    head = models.CharField(max_length=1)
    length = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["head", "length"], name="searchterm_head_length")]

    def __str__(self) -> str:
        return self.word


class MatchDecision(models.Model):
    """A cataloguer's ruling that two source records are (or are not) the same manifestation.

    Matching and rematch honour it: `same` keeps them in one record, not `same` keeps them apart.
    """

    source = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    same = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "other"], name="match_decision_unique_pair"),
            models.CheckConstraint(
                condition=Q(source__lt=models.F("other")), name="match_decision_ordered_pair"
            ),
        ]


class DeletedBibRecord(models.Model):
    """A merged record that no longer exists (merged into another, or left without sources),
    kept so OAI-PMH harvesters learn of the deletion (deletedRecord "persistent").

    Written by catalogue.tombstones.bib_records_tombstone where services delete BibRecords;
    never pruned. The record's id is never reused (it comes from a sequence).
    """

    record_id = models.BigIntegerField(primary_key=True)
    deleted_at = models.DateTimeField()
    # Set memberships when it was deleted, so a harvest of one library's set hears of it.
    library_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    format = models.CharField(max_length=12, blank=True)

    class Meta:
        indexes = [models.Index(fields=["deleted_at", "record_id"], name="deletedbib_deleted_at_id")]

    def __str__(self) -> str:
        return f"deleted record {self.record_id}"


class SetDeparture(models.Model):
    """A library's set that a live record left: the library's last copy of it was withdrawn
    (a --replace import, a cataloguer's split), so OAI-PMH harvesters of ``library:<code>``
    hear of it as deleted from that set while it lives on in others. Kept by a statement
    trigger on catalogue_bibrecord (migration 0018): an UPDATE that drops a library from
    ``library_ids`` writes the row, one that adds it back removes it. A record whose every
    library left is itself shown as deleted (catalogue.oai.selectors)."""

    pk = models.CompositePrimaryKey("record_id", "library_id")
    record_id = models.BigIntegerField()
    library_id = models.IntegerField()
    departed_at = models.DateTimeField()

    class Meta:
        # A set's selective harvest reads its departures by window, in record order.
        indexes = [
            models.Index(fields=["library_id", "departed_at", "record_id"], name="setdeparture_window")
        ]

    def __str__(self) -> str:
        return f"record {self.record_id} left library {self.library_id}"


class FacetCount(models.Model):
    """How many records carry each facet value: what browsing without a query counts from.

    Written only by database triggers on catalogue_bibrecord, in the transaction that
    changes the records, and by catalogue.facet_counts.facet_counts_recompute (see there).
    Facet "" holds the number of records ("records"), the catalogue version ("version")
    and the version at which the counts were last emptied or corrected ("reset", in
    ``changed``).
    """

    pk = models.CompositePrimaryKey("facet", "value")
    facet = models.CharField(max_length=16)
    value = models.TextField()
    n = models.BigIntegerField()
    # Catalogue version of the last write to a record carrying this value (before or after).
    changed = models.BigIntegerField(db_default=0)

    class Meta:
        indexes = [models.Index(fields=["facet", "-n", "value"], name="facetcount_facet_n")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}: {self.n}"


class CatalogueEvent(models.Model):
    """Append-only history of consequential catalogue actions: who merged, split or
    rematched records, or ran an import again (catalogue.events.catalogue_event_record).

    Records are kept by id, not by foreign key: a record merged away is deleted, and its
    history must outlive it (as DeletedBibRecord does); imports delete records in bulk
    without having to look at this table.
    """

    class Kind(models.TextChoices):
        MERGE = "merge", _("Records merged")
        SPLIT = "split", _("Source record split off")
        REMATCH = "rematch", _("Catalogue matched again")
        IMPORT_RERUN = "import_rerun", _("Import run again")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The record the action kept or made (merge: the target; split: the new record).
    record_id = models.BigIntegerField(null=True, blank=True)
    # The other record it touched (merge: the record merged away; split: the record left).
    other_record_id = models.BigIntegerField(null=True, blank=True)
    source_record_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["record_id"], name="catalogueevent_record"),
            models.Index(fields=["other_record_id"], name="catalogueevent_other_record"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id or ''}".strip()


class SearchOutbox(models.Model):
    """A record that changed since the search index last took it (catalogue.search.outbox).

    Written by statement triggers on catalogue_bibrecord (migration 0021), in the same
    transaction as the change, while SearchIndexState.outbox is on; the index's one writer
    applies and deletes the rows in id order."""

    id = models.BigAutoField(primary_key=True)
    record_id = models.BigIntegerField()  # no foreign key: a deleted record is news too
    created_at = models.DateTimeField(db_default=models.functions.Now())


class SearchIndexState(models.Model):
    """The one row saying whether an external search index follows the catalogue."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    outbox = models.BooleanField(default=False)
    built_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(null=True, blank=True)
    documents = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    repaired = models.PositiveIntegerField(default=0)  # records the last check found out of step

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="search_index_state_one_row")]
