"""The annual report of interlibrary loan and the union catalogue, for the consortium or
one member: a calendar year's figures (to today while the year runs), printable.

The figures are ill.reports' for the year (its definitions, restated on the page), the
catalogue's size as counted now, and the agreements in force on the year's last day (today
for the current year). Ratings follow ill.reports' rule (none shown under 5); the report
is for staff, so counts of requests are given in full.

A PDF is the browser's own "Print or save as PDF" of the page (print CSS, A4), not a
server-side HTML-to-PDF library. Decided (issue #18): WeasyPrint, the well-kept one, needs
the system's Pango, which a machine with only Python lacks (the README's setup), and its
right-to-left layout is still partial (Kozea/WeasyPrint#106 open; RTL flex gaps wrong as
late as v66, #2555), so an Urdu report would print wrong where the browser prints right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from catalogue.selectors import CatalogueSize, catalogue_size
from consortium import clock
from evidence.state_of_sharing import AgreementRow, PolicyRow, agreement_rows, policy_rows
from ill.models import DayFiguresState, IllRequest
from ill.reports import LibraryFigures, RatingFigures, ill_report
from members.models import Library
from policies.calendar import pakistan_date
from policies.selectors import agreements_in_force

YEAR_NOT_BEGUN = _(
    "%(year)s has not begun yet: there are no figures for it. The latest report is for %(latest)s."
)
YEAR_BEFORE_DATA = _(
    "The portal holds no interlibrary loan figures before %(first)s, so there is no report for %(year)s."
)


class YearOutOfRange(ValueError):
    """A year with no report: in the future, or before the first request."""

    def __init__(self, message: str, *, first: int, latest: int) -> None:
        super().__init__(message)
        self.message, self.first, self.latest = message, first, latest


@dataclass
class AnnualReport:
    year: int
    start: date
    end: date  # 31 December, or today while the year runs
    library: Library | None  # None: the consortium
    scope: LibraryFigures
    months: list[LibraryFigures]
    reasons: list[tuple[str, str, int]]
    as_borrower: RatingFigures
    as_lender: RatingFigures | None  # the consortium has no lender side apart from its members'
    collection: CatalogueSize
    agreements_on: date
    agreements: list[AgreementRow]
    policies: list[PolicyRow]
    counted: DayFiguresState | None
    balance: list[LibraryFigures] = field(
        default_factory=list
    )  # the consortium's members who lent or borrowed
    provinces: list[LibraryFigures] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.end.month == 12 and self.end.day == 31

    @property
    def reasons_total(self) -> int:
        return sum(n for _code, _label, n in self.reasons)


def report_years(*, today: date | None = None) -> list[int]:
    """The years with a report: from that of the first request ever placed to this one."""
    today = today or clock.today()
    first = IllRequest.objects.order_by("created_at").values_list("created_at", flat=True).first()
    start = min(pakistan_date(first).year, today.year) if first else today.year
    return list(range(start, today.year + 1))


def check_year(year: int, *, today: date | None = None) -> list[int]:
    """The years with a report; YearOutOfRange when this year is not one of them."""
    years = report_years(today=today)
    if year > years[-1]:
        raise YearOutOfRange(
            str(YEAR_NOT_BEGUN % {"year": year, "latest": years[-1]}), first=years[0], latest=years[-1]
        )
    if year < years[0]:
        raise YearOutOfRange(
            str(YEAR_BEFORE_DATA % {"year": year, "first": years[0]}), first=years[0], latest=years[-1]
        )
    return years


def annual_report(*, year: int, library: Library | None = None, today: date | None = None) -> AnnualReport:
    """The year's report for the consortium or one library (YearOutOfRange for a year without one)."""
    today = today or clock.today()
    years = check_year(year, today=today)
    start, end = date(year, 1, 1), min(date(year, 12, 31), today)
    report = ill_report(start=start, end=end, library=library)
    satisfaction = report.satisfaction
    if library is None:
        as_borrower, as_lender = satisfaction.as_borrower.total, None
    else:
        # (a library that has left, with nothing in the year, has no row: all zero)
        as_borrower = next((r for r in satisfaction.as_borrower.rows if r.library == library), None)
        as_lender = next((r for r in satisfaction.as_lender.rows if r.library == library), None)
        as_borrower = as_borrower or RatingFigures(library=library)
        as_lender = as_lender or RatingFigures(library=library)
    on = end
    agreements = agreements_in_force(on=on, library=library)
    return AnnualReport(
        year=year,
        start=start,
        end=end,
        library=library,
        scope=report.scope,
        months=report.months,
        reasons=report.reasons,
        as_borrower=as_borrower,
        as_lender=as_lender,
        collection=catalogue_size(library_id=library.pk if library else None),
        agreements_on=on,
        agreements=agreement_rows(list(agreements)),
        policies=policy_rows(on=on),
        counted=report.counted,
        balance=[row for row in report.rows if row.lent or row.supplied] if library is None else [],
        provinces=report.provinces if library is None else [],
        years=years,
    )
