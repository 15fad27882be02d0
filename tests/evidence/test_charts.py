"""The chart component (evidence/charts.py, templates/evidence/_chart.html): a figure whose
table, caption, definition and CSV link are there without any script, with the options
static/js/charts.js reads as data attributes."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from evidence.charts import Cell, Chart, Column, Row

ROWS = [
    Row("PK-KHI", [Cell(3), Cell(2, "+2", "net lender")], code=True, data={"library": "PK-KHI"}),
    Row("PK-LHR", [Cell(0), Cell(-2, note="net borrower")], code=True, data={"library": "PK-LHR"}),
]


def _balance(rows=ROWS, **options) -> Chart:
    return Chart(
        key="balance",
        kind="bar",
        title="Net lending per library",
        definition="Net lending = lent − supplied to it.",
        x_label="Library",
        columns=[Column("Lent", drawn=False), Column("Net lending")],
        rows=rows,
        csv_url="?start=2026-01-01&format=csv&table=libraries",
        **options,
    )


def _render(chart: Chart, **context) -> str:
    return render_to_string("evidence/_chart.html", {"chart": chart, **context})


def test_the_figure_carries_its_table_caption_definition_and_csv_link():
    html = _render(_balance(), **{"class": "col-lg-6"})
    figure = re.search(r"<figure [^>]*>", html).group(0)
    assert 'class="chart col-lg-6"' in figure and 'data-testid="chart-balance"' in figure
    assert (
        '<figcaption class="small fw-semibold" id="chart-balance-title">Net lending per library</figcaption>'
        in html
    )
    assert '<caption class="visually-hidden">Net lending per library</caption>' in html
    assert "Net lending = lent − supplied to it." in html
    assert 'href="?start=2026-01-01&amp;format=csv&amp;table=libraries"' in html and "Download CSV" in html
    # the canvas is a picture of the table, hidden from screen readers
    assert '<div class="chart-canvas" aria-hidden="true"><canvas></canvas></div>' in html


def test_cells_give_their_value_to_draw_and_their_text_to_read():
    html = _render(_balance())
    khi = html.split('data-library="PK-KHI"')[1].split("</tr>")[0]
    assert '<th scope="row" class="nowrap"><bdi class="code">PK-KHI</bdi></th>' in khi
    assert '<td class="text-end nowrap" data-chart-skip><bdi dir="ltr">3</bdi></td>' in khi  # not drawn
    assert 'data-value="2"><bdi dir="ltr">+2</bdi> <span class="small text-muted">net lender</span>' in khi
    lhr = html.split('data-library="PK-LHR"')[1].split("</tr>")[0]
    assert 'data-value="-2"><bdi dir="ltr">-2</bdi>' in lhr
    header = html.split("<thead>")[1].split("</thead>")[0]
    assert '<th scope="col" class="text-end" data-chart-skip>Lent</th>' in header
    assert '<th scope="col" class="text-end" data-series="0">Net lending</th>' in header


def test_options_are_data_attributes_of_the_figure():
    figure = re.search(r"<figure [^>]*>", _render(_balance(horizontal=True, signed=True))).group(0)
    assert 'data-chart="bar"' in figure and "data-horizontal" in figure and "data-signed" in figure
    assert "data-y-max" not in figure and "data-y-suffix" not in figure
    percent = Chart(
        key="fill-rates",
        kind="line",
        title="Fill rate",
        definition="supplied ÷ (supplied + not supplied)",
        x_label="Month",
        columns=[Column("Fill rate"), Column("Lender fill rate", series=4)],
        rows=[Row("Mar 2026", [Cell(66.7, "67%"), Cell(None)])],
        value_format="percent",
        y_suffix="%",
        y_max=100,
    )
    html = _render(percent)
    figure = re.search(r"<figure [^>]*>", html).group(0)
    assert (
        'data-y-suffix="%"' in figure and 'data-y-max="100"' in figure and 'data-format="percent"' in figure
    )
    assert "data-horizontal" not in figure and 'data-series="4">Lender fill rate' in html
    # nothing to measure: no value to draw, a dash to read; no CSV link without a URL
    assert 'data-value="66.7"' in html and '<td class="text-end nowrap"><bdi dir="ltr">—</bdi></td>' in html
    assert "Download CSV" not in html


def test_figures_stay_machine_readable_in_urdu():
    chart = Chart(
        key="t", kind="line", title="t", definition="d", x_label="x",
        columns=[Column("a")], rows=[Row("r", [Cell(1234.5)])],
    )  # fmt: skip
    with translation.override("ur"):
        html = _render(chart)
    assert 'data-value="1234.5"' in html and "csv" not in html.lower()


def test_a_chart_without_rows_says_so_and_draws_nothing():
    html = _render(_balance(rows=[], empty="None in the period."))
    assert '<td colspan="3" class="text-muted">None in the period.</td>' in html
    assert "<canvas>" not in html


def test_a_row_with_a_cell_too_few_is_refused_naming_the_chart_and_row():
    with pytest.raises(ValueError, match=r"Chart 'balance': row 'PK-KHI' has 1 cells for 2 columns"):
        _balance(rows=[Row("PK-KHI", [Cell(1)])])
