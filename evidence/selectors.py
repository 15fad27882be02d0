"""Reading the latest collection overlap snapshot (evidence.overlap) for the pages and CSV:
every read is of one snapshot's rows, by index, never of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from evidence.models import OverlapLibrary, OverlapPair, OverlapSnapshot, OverlapUniqueTitle, SingleCopyCount
from members.models import Library

SUBJECTS_SHOWN = 25  # on the page; the CSV has every subject


def latest_snapshot() -> OverlapSnapshot | None:
    return OverlapSnapshot.objects.order_by("-taken_at", "-id").first()


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class MemberFigures:
    library: Library
    titles: int
    unique_titles: int
    single_copies: int

    @property
    def unique_share(self) -> float | None:
        """Unique titles as a percentage of the member's titles."""
        return _share(self.unique_titles, self.titles)


@dataclass(frozen=True)
class OverlapRow:
    other: Library
    titles: int  # titles both hold
    share_of_ours: float | None  # percentage of the chosen member's titles
    share_of_theirs: float | None  # percentage of the other member's titles


@dataclass(frozen=True)
class SingleCopyRow:
    value: str  # a subject heading, or a decade's first year ("" when not known)
    titles: int
    single: int

    @property
    def share(self) -> float | None:
        return _share(self.single, self.titles)


def members(snapshot: OverlapSnapshot) -> list[MemberFigures]:
    """Every member that holds a title in the snapshot, by code."""
    rows = (
        OverlapLibrary.objects.filter(snapshot=snapshot).select_related("library").order_by("library__code")
    )
    return [MemberFigures(r.library, r.titles, r.unique_titles, r.single_copies) for r in rows]


def figures_of(snapshot: OverlapSnapshot, library: Library) -> MemberFigures:
    """The member's figures (all naught when it held nothing that night)."""
    row = OverlapLibrary.objects.filter(snapshot=snapshot, library=library).first()
    if row is None:
        return MemberFigures(library, 0, 0, 0)
    return MemberFigures(library, row.titles, row.unique_titles, row.single_copies)


def overlap_row(
    snapshot: OverlapSnapshot, library: Library, everyone: list[MemberFigures]
) -> list[OverlapRow]:
    """The chosen member against every other member of the snapshot, most titles in common first."""
    both = dict(
        OverlapPair.objects.filter(snapshot=snapshot, library=library).values_list("other_id", "titles")
    )
    ours = next((m.titles for m in everyone if m.library.pk == library.pk), 0)
    rows = [
        OverlapRow(
            m.library,
            both.get(m.library.pk, 0),
            _share(both.get(m.library.pk, 0), ours),
            _share(both.get(m.library.pk, 0), m.titles),
        )
        for m in everyone
        if m.library.pk != library.pk
    ]
    return sorted(rows, key=lambda row: (-row.titles, row.other.code))


def single_copies(
    snapshot: OverlapSnapshot, library: Library | None, kind: str, limit: int | None = None
) -> list[SingleCopyRow]:
    """Subjects (most single copies first) or decades (in order, unknown last) where the
    consortium holds a single copy: of all titles (library None) or of the member's."""
    rows = SingleCopyCount.objects.filter(snapshot=snapshot, library=library, kind=kind)
    if kind == SingleCopyCount.Kind.SUBJECT:
        rows = rows.filter(single__gt=0).order_by("-single", "value")
        if limit:
            rows = rows[:limit]
        return [SingleCopyRow(r.value, r.titles, r.single) for r in rows]
    found = [SingleCopyRow(r.value, r.titles, r.single) for r in rows]
    return sorted(found, key=lambda row: (row.value == "", int(row.value or 0)))


def subject_count(snapshot: OverlapSnapshot, library: Library | None) -> int:
    return SingleCopyCount.objects.filter(
        snapshot=snapshot, library=library, kind=SingleCopyCount.Kind.SUBJECT, single__gt=0
    ).count()


def matrix(snapshot: OverlapSnapshot, everyone: list[MemberFigures]) -> list[tuple[MemberFigures, list[int]]]:
    """Member x member: titles both hold (on the diagonal, the member's own titles), in the
    order of ``everyone``."""
    position = {m.library.pk: n for n, m in enumerate(everyone)}
    cells = [[0] * len(everyone) for _ in everyone]
    for n, m in enumerate(everyone):
        cells[n][n] = m.titles
    pairs = OverlapPair.objects.filter(snapshot=snapshot).values_list("library_id", "other_id", "titles")
    for library_id, other_id, titles in pairs.iterator(chunk_size=10_000):
        if library_id in position and other_id in position:
            cells[position[library_id]][position[other_id]] = titles
    return list(zip(everyone, cells, strict=True))


def unique_titles(snapshot: OverlapSnapshot, library: Library) -> QuerySet[OverlapUniqueTitle]:
    """The titles only this member holds, by title."""
    return OverlapUniqueTitle.objects.filter(snapshot=snapshot, library=library).order_by(
        "sort_title", "bib_record_id"
    )
