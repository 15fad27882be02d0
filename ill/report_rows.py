"""The rows of the ILL report's four library tables (templates/ill/report.html), written
here rather than by the template's loops.

A consortium of 120 members has 120 rows in each of the borrowing, lending and two
satisfaction tables: about 5,000 cells, which took the template about 60 ms of the page
(docs/performance.md, "ILL reports"); written here they take a few. The template keeps the
headers and the definitions; each function returns the rows of one ``<tbody>``. Every text
is escaped; figures are whole numbers, written as the template wrote them (no thousands
separator: settings.USE_THOUSAND_SEPARATOR is off).
"""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ill.reports import LibraryFigures, RatingFigures, RatingTable
from members.templatetags.library_names import library_name

_METER = '<meter min="0" max="1" low="0.5" high="0.8" optimum="1" value="{:.3f}" aria-hidden="true"></meter>'


def _library_th(row: LibraryFigures | RatingFigures) -> str:
    code = conditional_escape(row.library.code)
    return (
        f'<tr data-library="{code}"><th scope="row"><bdi class="code small text-muted">{code}</bdi> '
        f"{conditional_escape(library_name(row.library))}</th>"
    )


def _counts(*values: int) -> str:
    return "".join(f'<td class="text-end">{int(n)}</td>' for n in values)


def _rate(pct: int | None, rate: float | None) -> str:
    """A rate as a percentage with its meter, or — when there was nothing to divide."""
    return "—" if pct is None else f"{int(pct)}% {_METER.format(rate)}"


def _empty(columns: int) -> SafeString:
    return mark_safe(
        f'<tr><td colspan="{columns}">{conditional_escape(_("No member libraries yet."))}</td></tr>'
    )


def borrowing(rows: list[LibraryFigures]) -> SafeString:
    """As borrower: requested and what became of the requests, fill rate, turnaround."""
    if not rows:
        return _empty(9)
    return mark_safe(
        "".join(
            f"{_library_th(row)}"
            f"{_counts(row.requested, row.supplied, row.not_supplied, row.in_progress, row.ended_before_lender)}"
            f'<td class="text-end nowrap" data-figure="fill-rate">{_rate(row.fill_rate_pct, row.fill_rate)}</td>'
            f'<td class="text-end nowrap" data-figure="shipped-in"><bdi>{conditional_escape(row.shipped_in)}</bdi></td>'
            f'<td class="text-end nowrap" data-figure="received-in"><bdi>{conditional_escape(row.received_in)}</bdi></td>'
            "</tr>"
            for row in rows
        )
    )


def lending(rows: list[LibraryFigures]) -> SafeString:
    """As lender: times asked and the answers, lender fill rate, answer time, loans out now
    and the net lending."""
    if not rows:
        return _empty(12)
    lender, borrower = conditional_escape(_("net lender")), conditional_escape(_("net borrower"))
    html = []
    for row in rows:
        net = int(row.net_lending)
        overdue = (
            f'<span class="badge text-bg-warning">{int(row.overdue_now)}</span>' if row.overdue_now else "0"
        )
        balance = ""
        if net > 0:
            balance = f' <span class="small text-muted">{lender}</span>'
        elif net < 0:
            balance = f' <span class="small text-muted">{borrower}</span>'
        html.append(
            f"{_library_th(row)}"
            f"{_counts(row.asked, row.lent, row.unfilled, row.timed_out, row.still_asked, row.withdrawn)}"
            f'<td class="text-end nowrap" data-figure="lender-fill-rate">'
            f"{_rate(row.lender_fill_rate_pct, row.lender_fill_rate)}</td>"
            f'<td class="text-end">{"—" if row.answer_hours is None else int(row.answer_hours)}</td>'
            f'<td class="text-end">{int(row.on_loan_now)}</td><td class="text-end">{overdue}</td>'
            f'<td class="text-end nowrap" data-figure="net-lending"><bdi>{"+" if net > 0 else ""}{net}</bdi>'
            f"{balance}</td></tr>"
        )
    return mark_safe("".join(html))


def _rating_cells(row: RatingFigures, held_back: dict[bool, str]) -> str:
    """Invited, then the rating figures, or why they are not shown (reports.MIN_RATINGS_SHOWN)."""
    invited = f'<td class="text-end">{int(row.invited)}</td>'
    if not row.shown:
        dashes = '<td class="text-end">—</td>' * (2 + len(row.distribution))
        return f'{invited}<td class="text-end" data-figure="rated">{held_back[row.few]}</td>{dashes}'
    return (
        f'{invited}<td class="text-end" data-figure="rated">{int(row.rated)}</td>'
        f'<td class="text-end" data-figure="response-rate">{int(row.response_rate_pct)}%</td>'
        f'<td class="text-end" data-figure="mean">{conditional_escape(floatformat(row.mean, 1))}</td>'
        f"{_counts(*row.distribution)}"
    )


def ratings(table: RatingTable) -> SafeString:
    """Patron satisfaction: a row a library, then the consortium's."""
    held_back = {True: conditional_escape(_("fewer than 5")), False: conditional_escape(_("not shown"))}
    html = [f"{_library_th(row)}{_rating_cells(row, held_back)}</tr>" for row in table.rows]
    html.append(
        f'<tr data-library="ALL" class="fw-semibold"><th scope="row">{conditional_escape(_("Consortium"))}</th>'
        f"{_rating_cells(table.total, held_back)}</tr>"
    )
    return mark_safe("".join(html))
