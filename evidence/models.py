"""Collection overlap: the nightly snapshot of who holds what in the union catalogue
(evidence.overlap takes it; the definitions of what counts are there)."""

from __future__ import annotations

from django.db import models

from catalogue.models import BibRecord
from members.models import Library


class OverlapSnapshot(models.Model):
    """One count of the whole catalogue, with its consortium totals. Its rows are written in
    the transaction that creates it, so a reader finds all of them or none."""

    taken_at = models.DateTimeField()
    seconds = models.FloatField(default=0)  # how long the count took
    members = models.PositiveIntegerField(default=0)  # members holding at least one title
    titles = models.BigIntegerField(default=0)  # titles with at least one counted copy
    holdings = models.BigIntegerField(default=0)  # counted holdings
    copies = models.BigIntegerField(default=0)  # their items
    unique_titles = models.BigIntegerField(default=0)  # titles one member alone holds
    single_copy_titles = models.BigIntegerField(default=0)  # titles of one copy in all

    class Meta:
        get_latest_by = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"collection overlap at {self.taken_at:%Y-%m-%d %H:%M}"


class OverlapLibrary(models.Model):
    """A member's figures in a snapshot."""

    snapshot = models.ForeignKey(OverlapSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", db_index=False)
    titles = models.PositiveIntegerField()  # titles it holds
    unique_titles = models.PositiveIntegerField()  # of which no other member holds a copy
    single_copies = models.PositiveIntegerField()  # of which its copy is the consortium's only one

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "library"], name="overlaplibrary_unique"),
        ]


class OverlapPair(models.Model):
    """How many titles two members both hold; written both ways round (library, other) and
    (other, library), so one member's row is one index range."""

    snapshot = models.ForeignKey(OverlapSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", db_index=False)
    other = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", db_index=False)
    titles = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "library", "other"], name="overlappair_unique"),
        ]


class SingleCopyCount(models.Model):
    """The consortium's titles of a subject heading or a decade of publication, and how many
    of them it holds a single copy of (library NULL), or how many of those single copies one
    member holds (its row: the same titles, single = its copy is the only one). Subjects
    only where some title has a single copy; a member's rows only where it holds one."""

    class Kind(models.TextChoices):
        SUBJECT = "subject"
        DECADE = "decade"

    snapshot = models.ForeignKey(OverlapSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.TextField()  # the heading, or the decade's first year ("" when not known)
    titles = models.PositiveIntegerField()
    single = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "library", "kind", "-single"], name="singlecopy_scope"),
        ]


class OverlapUniqueTitle(models.Model):
    """A title only one member holds, with its title (lower-cased, cut to 120 characters) to list in
    order without reading the records."""

    snapshot = models.ForeignKey(OverlapSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", db_index=False)
    # No constraint: the record may be merged away after the count; the list shows it gone.
    bib_record = models.ForeignKey(
        BibRecord, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    sort_title = models.CharField(max_length=120)  # lower-cased

    class Meta:
        indexes = [
            models.Index(
                fields=["snapshot", "library", "sort_title", "bib_record"], name="overlapunique_list"
            ),
        ]
