"""The ILL report's tables as CSV, one download per table (?format=csv&table=<name>).

Column names are stable English identifiers for spreadsheets and scripts; rates have three
decimals, percentiles are whole working days (hours for answers), blank when there is
nothing to measure. Names and codes go through consortium.text.csv_writer (a cell starting
with = + - @ is written as text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpResponse
from django.utils import translation

from consortium.text import csv_writer
from ill.reports import CSV_FIGURES, RATING_SCORES, RatingFigures, Report

FIGURE_COLUMNS = [column for column, _attribute, _digits in CSV_FIGURES]


def _libraries(report: Report) -> Iterable[list]:
    yield ["library", "name", *FIGURE_COLUMNS]
    for row in [*report.rows, report.total]:
        lib = row.library
        yield [lib.code if lib else "ALL", lib.name if lib else "Consortium", *row.csv_values()]


def _months(report: Report) -> Iterable[list]:
    yield ["month", "library", *FIGURE_COLUMNS]
    code = report.library.code if report.library else "ALL"
    for row in report.months:
        yield [row.key.strftime("%Y-%m"), code, *row.csv_values()]


def _provinces(report: Report) -> Iterable[list]:
    yield ["province", "name", "members", *FIGURE_COLUMNS]
    for row in report.provinces:
        with translation.override("en"):
            name = str(row.label)
        yield [row.key, name, row.members, *row.csv_values()]


def _reasons(report: Report) -> Iterable[list]:
    yield ["library", "reason", "times"]
    code = report.library.code if report.library else "ALL"
    for reason, _label, n in report.reasons:
        yield [code, reason, n]


def _rating_row(side: str, code: str, figures: RatingFigures) -> list:
    if not figures.shown:  # held back on the page, held back here
        return [side, code, figures.invited, "", "", "", *([""] * len(RATING_SCORES))]
    rate = "" if figures.response_rate is None else f"{figures.response_rate:.3f}"
    return [side, code, figures.invited, figures.rated, rate, figures.mean, *figures.distribution]


def _satisfaction(report: Report) -> Iterable[list]:
    yield ["side", "library", "invited", "rated", "response_rate", "mean_rating",
           *(f"rated_{score}" for score in RATING_SCORES)]  # fmt: skip
    for side, table in report.satisfaction.tables:
        for row in table.rows:
            yield _rating_row(side, row.library.code, row)
        yield _rating_row(side, "ALL", table.total)


TABLES: dict[str, Callable[[Report], Iterable[list]]] = {
    "libraries": _libraries,
    "months": _months,
    "provinces": _provinces,
    "reasons": _reasons,
    "satisfaction": _satisfaction,
}


def download(report: Report, table: str) -> HttpResponse:
    name = "ill-report" if table == "libraries" else f"ill-report-{table}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{report.start.isoformat()}-{report.end.isoformat()}.csv"'
    )
    writer = csv_writer(response)
    for values in TABLES[table](report):
        writer.writerow(values)
    return response
