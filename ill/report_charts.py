"""The ILL report's charts (evidence.charts), each from the report's figures with its table.

Every chart's table is also a CSV (ill/report_csv.py): its ``csv_url`` names that table.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from evidence.charts import Cell, Chart, Column, Row
from ill.reports import LibraryFigures, Report
from members.models import library_name_in


def _pct(value: int | None) -> Cell:
    return Cell(value, "—" if value is None else f"{value}%")


def _net(net: int) -> Cell:
    """Net lending with its sign, and what it makes the library."""
    note = _("net lender") if net > 0 else _("net borrower") if net < 0 else ""
    return Cell(net, f"+{net}" if net > 0 else str(net), note)


def _month(row: LibraryFigures) -> str:
    return date_format(row.key, "M Y")


def months(report: Report, csv: str) -> Chart:
    """Requests placed and supplied (and, for a library, times it lent), by month."""
    lib = report.library
    columns = [Column(_("Requested")), Column(_("Supplied")), Column(_("Fill rate"), drawn=False)]
    if lib:
        columns += [Column(_("Lent")), Column(_("Net lending"), drawn=False)]
    rows = []
    for m in report.months:
        cells = [Cell(m.requested), Cell(m.supplied), _pct(m.fill_rate_pct)]
        if lib:
            cells += [Cell(m.lent), _net(m.net_lending)]
        rows.append(Row(_month(m), cells))
    return Chart(
        key="months",
        kind="line",
        title=_("Requests placed and supplied, and times it lent")
        if lib
        else _("Requests placed and supplied"),
        definition=_(
            "Requested: requests placed in the month; supplied: those of them a lender shipped or "
            "delivered, up to today; fill rate = supplied ÷ (supplied + not supplied)."
        ),
        x_label=_("Month"),
        columns=columns,
        rows=rows,
        csv_url=f"?{csv}&table=months",
    )


def fill_rates(report: Report, csv: str) -> Chart:
    """Fill rate and lender fill rate by month, as percentages."""
    return Chart(
        key="fill-rates",
        kind="line",
        title=_("Fill rate and lender fill rate, %"),
        definition=_(
            "Fill rate = supplied ÷ (supplied + not supplied), of the requests placed in the month "
            "that reached a lender and ended. Lender fill rate = lent ÷ asked to lend, of the times "
            "lenders were asked in the month. A month with nothing to divide has no point."
        ),
        x_label=_("Month"),
        columns=[Column(_("Fill rate")), Column(_("Lender fill rate"))],
        rows=[Row(_month(m), [_pct(m.fill_rate_pct), _pct(m.lender_fill_rate_pct)]) for m in report.months],
        value_format="percent",
        y_suffix="%",
        y_max=100,
        csv_url=f"?{csv}&table=months",
    )


def turnaround(report: Report, csv: str) -> Chart:
    """Working days to shipped and to received, median and 90th percentile, by month."""
    return Chart(
        key="turnaround",
        kind="line",
        title=_("Working days to shipped and to received (median and 90th percentile)"),
        definition=_(
            "Pakistani working days (weekends and public holidays not counted) from the day a "
            "request was placed to the day it was shipped, and to the day it was received; 0 is "
            "the same day. Median: half took no longer; 90%: 9 in 10 took no longer. A month "
            "with nothing shipped or received has no point."
        ),
        x_label=_("Month"),
        columns=[
            Column(_("Shipped, median")),
            Column(_("Shipped, 90%")),
            Column(_("Received, median")),
            Column(_("Received, 90%")),
        ],
        rows=[Row(_month(m), [Cell(v) for v in m.turnaround]) for m in report.months],
        value_format="days",
        csv_url=f"?{csv}&table=months",
    )


def balance(report: Report, csv: str) -> Chart:
    """Net lending per library that lent or was supplied in the period."""
    rows = [
        Row(row.library.code, [Cell(row.lent), Cell(row.supplied), _net(row.net_lending)], code=True,
            data={"library": row.library.code})
        for row in report.rows
        if row.lent or row.supplied
    ]  # fmt: skip
    return Chart(
        key="balance",
        kind="bar",
        title=_("Net lending per library in the period"),
        definition=_(
            "Net lending = times it lent − its requests supplied by others, both in the period: "
            "above 0 a net lender, below 0 a net borrower. Libraries that neither lent nor were "
            "supplied are left out."
        ),
        x_label=_("Library"),
        columns=[
            Column(_("Lent"), drawn=False),
            Column(_("Supplied to it"), drawn=False),
            Column(_("Net lending")),
        ],
        rows=rows,
        horizontal=True,
        signed=True,
        csv_url=f"?{csv}&table=libraries",
        empty=_("None in the period."),
    )


def balance_by_month(report: Report, csv: str) -> Chart:
    """One library's net lending, month by month: the trend of its balance."""
    return Chart(
        key="balance-months",
        kind="bar",
        title=_("Net lending by month"),
        definition=_(
            "Net lending = times it lent − its requests supplied by others, in each month: above "
            "0 the library lent more than it borrowed that month (a net lender), below 0 it "
            "borrowed more (a net borrower)."
        ),
        x_label=_("Month"),
        columns=[
            Column(_("Lent"), drawn=False),
            Column(_("Supplied to it"), drawn=False),
            Column(_("Net lending")),
        ],
        rows=[Row(_month(m), [Cell(m.lent), Cell(m.supplied), _net(m.net_lending)]) for m in report.months],
        signed=True,
        csv_url=f"?{csv}&table=months",
    )


def _province(p: LibraryFigures) -> Row:
    cells = [Cell(p.members), Cell(p.requested), Cell(p.supplied), Cell(p.lent)]
    return Row(
        str(p.label), [*cells, _pct(p.fill_rate_pct), Cell(None, p.received_in)], data={"province": p.key}
    )


def provinces(report: Report, csv: str) -> Chart:
    """Requests placed, supplied and times lent, by the province of the library."""
    return Chart(
        key="provinces",
        kind="bar",
        title=_("Requests placed, supplied, and times lent, by the province of the library"),
        definition=_(
            "Each library counts in its own province: requests as borrower, times lent as lender. "
            "Members: active member libraries today."
        ),
        x_label=_("Province or territory"),
        columns=[
            Column(_("Members"), drawn=False),
            Column(_("Requested")),
            Column(_("Supplied")),
            Column(_("Lent")),
            Column(_("Fill rate"), drawn=False),
            Column(_("Received in (working days)"), drawn=False),
        ],
        rows=[_province(p) for p in report.provinces],
        horizontal=True,
        csv_url=f"?{csv}&table=provinces",
    )


def reasons(report: Report, csv: str) -> Chart:
    """Why lenders (or the library, as lender) did not supply, most given first."""
    total = report.reasons_total
    lib = report.library
    return Chart(
        key="reasons",
        kind="bar",
        title=(
            _("Answers of %(name)s when it did not lend")
            % {"name": library_name_in(lib.name, lib.name_ur or "")}
            if lib
            else _("Lenders' answers when they did not lend")
        ),
        definition=_(
            "The ISO 18626 reason a lender gave when it said no, and the times the answer deadline "
            "passed with no answer; share = times ÷ all of these."
        ),
        x_label=_("Reason"),
        columns=[Column(_("Times")), Column(_("Share"), drawn=False)],
        rows=[
            Row(label, [Cell(n), Cell(None, f"{round(100 * n / total)}%")], data={"reason": code})
            for code, label, n in report.reasons
        ],
        horizontal=True,
        csv_url=f"?{csv}&table=reasons",
        empty=_("None in the period."),
    )


def report_charts(report: Report, csv_query: str, *, provinces_shown: bool = True) -> dict[str, Chart]:
    """The report page's charts by key (a library's balance by month only for one library)."""
    charts = [months(report, csv_query), fill_rates(report, csv_query), turnaround(report, csv_query)]
    charts.append(balance(report, csv_query))
    if report.library:
        charts.append(balance_by_month(report, csv_query))
    if provinces_shown:
        charts.append(provinces(report, csv_query))
    charts.append(reasons(report, csv_query))
    return {chart.key.replace("-", "_"): chart for chart in charts}
