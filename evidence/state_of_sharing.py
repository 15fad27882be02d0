"""The state of sharing: what the consortium shows the public of its cooperation this
calendar year (/state-of-sharing/). Members by province, the union catalogue's size, the
interlibrary loan requests placed and filled, turnaround and satisfaction, and the
policies and agreements in force.

Everything comes from counts kept elsewhere (ill.day_figures, catalogue.facet_counts), so
the page costs a handful of indexed reads, and is cached CACHE_SECONDS on top. No figure
names a patron, and small counts of requests and ratings are held back (evidence.suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from catalogue.selectors import catalogue_size, titles_by_province
from consortium import clock
from evidence.suppression import Figure, count, derived, hold_back
from ill import day_figures
from ill.figures import Cell, cells, merged, percentile, total
from ill.reports import RatingFigures
from members.models import PROVINCE_NUMBERS, Library, Province, library_name_in
from policies.models import Agreement, AgreementKind
from policies.selectors import agreements_in_force, policies_in_force

CACHE_SECONDS = 15 * 60
CACHE_KEY = "evidence:state-of-sharing:v1"
# Consortium-wide first, then the agreements of several members, then pairs.
KIND_ORDER = {AgreementKind.CONSORTIUM_WIDE: 0, AgreementKind.MULTILATERAL: 1, AgreementKind.BILATERAL: 2}


@dataclass(frozen=True)
class Member:
    """A library as the public pages name it (no contact details)."""

    code: str
    name: str
    name_ur: str


@dataclass(frozen=True)
class ProvinceRow:
    code: str
    members: int  # active member libraries
    titles: int  # titles held by at least one library of the province
    requested: Figure  # requests its members placed this year
    supplied: Figure  # of those, supplied by a lender

    @property
    def label(self) -> str:
        return Province(self.code).label


@dataclass(frozen=True)
class AgreementRow:
    name: str
    kind: str
    all_members: bool
    parties: tuple[Member, ...]
    valid_from: date
    valid_until: date | None

    @property
    def kind_label(self) -> str:
        return AgreementKind(self.kind).label

    @property
    def party_names(self) -> str:
        """The parties named in the reader's language, in a list as their language writes it."""
        return gettext(", ").join(library_name_in(m.name, m.name_ur) for m in self.parties)


@dataclass(frozen=True)
class PolicyRow:
    title: str
    slug: str
    version: int
    effective_from: date


@dataclass(frozen=True)
class IllFigures:
    """A period's interlibrary loan, as published (each figure may be held back)."""

    requested: Figure
    supplied: Figure
    fill_rate_pct: Figure
    received_p50: Figure  # working days, request placed -> received, the median
    received_p90: Figure
    rating_mean: Figure
    response_rate_pct: Figure
    rated: Figure


@dataclass
class StateOfSharing:
    year: int
    start: date
    end: date
    counted_at: datetime
    members: int
    provinces: list[ProvinceRow]
    titles: int
    holdings: int
    ill: IllFigures
    policies: list[PolicyRow] = field(default_factory=list)
    agreements: list[AgreementRow] = field(default_factory=list)


def ill_figures(cell: Cell, *, side: str = "ratings_as_borrower") -> IllFigures:
    """The published figures of summed day figures. Fill rate = supplied / (supplied + not
    supplied); shown from 5 of each of supplied and settled. Turnaround from 5 received.
    Ratings' mean and response rate from 5 ratings (and 5 invitations)."""
    counts = cell.counts
    settled = counts["supplied"] + counts["not_supplied"]
    received = cell.histograms["to_received"]
    arrived = sum(received.values())
    ratings = cell.ratings[side]
    rating = RatingFigures(
        library=None, invited=ratings[0], rated=sum(ratings[1:]), distribution=tuple(ratings[1:])
    )
    fill = round(100 * counts["supplied"] / settled) if settled else None
    return IllFigures(
        requested=count(counts["requested"]),
        supplied=count(counts["supplied"]),
        fill_rate_pct=derived(fill, settled, counts["supplied"]),
        received_p50=derived(percentile(received, 0.5), arrived),
        received_p90=derived(percentile(received, 0.9), arrived),
        rating_mean=derived(rating.mean, rating.rated, rating.invited),
        response_rate_pct=derived(rating.response_rate_pct, rating.rated, rating.invited),
        rated=count(rating.rated),
    )


def member(library: Library) -> Member:
    return Member(code=library.code, name=library.name, name_ur=library.name_ur)


def agreement_rows(agreements: list[Agreement]) -> list[AgreementRow]:
    rows = [
        AgreementRow(
            name=a.name,
            kind=a.kind,
            all_members=a.all_members,
            parties=() if a.all_members else tuple(member(lib) for lib in a.parties.all()),
            valid_from=a.valid_from,
            valid_until=a.valid_until,
        )
        for a in agreements
    ]
    return sorted(rows, key=lambda row: (KIND_ORDER.get(row.kind, 9), row.name))


def policy_rows(*, on: date) -> list[PolicyRow]:
    return [
        PolicyRow(
            title=policy.title,
            slug=policy.slug,
            version=version.number,
            effective_from=version.effective_from,
        )
        for policy, version in policies_in_force(on=on)
    ]


def count_state_of_sharing(*, today: date | None = None) -> StateOfSharing:
    """Count this calendar year's figures (Pakistan dates, 1 January to today)."""
    today = today or clock.today()
    start = today.replace(month=1, day=1)
    day_figures.refresh(wait=False, unless_within=settings.ILL_FIGURES_FRESH_FOR)
    found = cells(start=start, end=today)
    libraries = {lib.pk: lib for lib in Library.objects.only("pk", "province", "is_active")}
    by_province = merged(
        found, lambda library, _month: libraries[library].province if library in libraries else None
    )
    members = dict.fromkeys(Province.values, 0)
    for lib in libraries.values():
        if lib.is_active:
            members[lib.province] += 1
    codes = list(Province.values)
    requested = hold_back([by_province.get(code, Cell()).counts["requested"] for code in codes])
    supplied = hold_back([by_province.get(code, Cell()).counts["supplied"] for code in codes])
    # A province no library was ever in has placed nothing: its "—" gives nothing away.
    never = {code for code in codes if code not in {lib.province for lib in libraries.values()}}
    for n, code in enumerate(codes):
        if code in never:
            requested[n] = supplied[n] = Figure(value=None)
    size = catalogue_size()
    held = titles_by_province()
    return StateOfSharing(
        year=today.year,
        start=start,
        end=today,
        counted_at=clock.now(),
        members=sum(members.values()),
        provinces=[
            ProvinceRow(
                code=code,
                members=members[code],
                titles=held.get(PROVINCE_NUMBERS[code], 0),
                requested=requested[n],
                supplied=supplied[n],
            )
            for n, code in enumerate(codes)
        ],
        titles=size.titles,
        holdings=size.holdings,
        ill=ill_figures(total(found.values())),
        policies=policy_rows(on=today),
        agreements=agreement_rows(list(agreements_in_force(on=today))),
    )


def state_of_sharing() -> StateOfSharing:
    """This year's figures as counted in the last CACHE_SECONDS (counted now when not)."""
    found = cache.get(CACHE_KEY)
    if found is None or found.year != clock.today().year:
        found = count_state_of_sharing()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found
