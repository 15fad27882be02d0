"""A chart with its data table: what templates/evidence/_chart.html renders and
static/js/charts.js draws.

The table is the chart's source and its accessible form: screen readers and print read the
table, and the script draws each figure's canvas from the same cells (``data-value`` on a
drawn cell, ``data-chart-skip`` on a column or cell left out of the drawing), so the picture
can never say something the table does not. Options go to the script as data attributes of
the figure (``data-chart``, ``data-horizontal``, ``data-y-suffix``, ``data-y-max``,
``data-format``, ``data-signed``) and of the header cells (``data-series``: the colour and line style a
series keeps from chart to chart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Kind = Literal["line", "bar", "stacked"]  # stacked: a stacked bar chart
ValueFormat = Literal["count", "percent", "days"]


@dataclass(frozen=True)
class Column:
    """A column of figures: its header, and whether (and as which series) it is drawn."""

    label: str
    drawn: bool = True  # False: in the table only (data-chart-skip)
    series: int | None = None  # the palette entry it is drawn with (default: its place)


@dataclass(frozen=True)
class Cell:
    """A figure: the number drawn (None: nothing to draw) and the text shown."""

    value: int | float | None
    text: str = ""  # default: the value, or — for None
    note: str = ""  # a word after the figure, muted ("net lender")

    @property
    def shown(self) -> str:
        if self.text:
            return self.text
        return "—" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Row:
    """A row: its label (the x axis, or the y axis of a horizontal chart) and its figures."""

    label: str
    cells: Sequence[Cell]
    code: bool = False  # the label is a code (a library's), set apart and kept left-to-right
    data: Mapping[str, str] = field(default_factory=dict)  # data-* attributes of the <tr>


@dataclass(frozen=True)
class Chart:
    """One chart and its table (templates/evidence/_chart.html)."""

    key: str  # the figure's data-testid is chart-<key>
    kind: Kind
    title: str  # the figure's caption and the table's
    definition: str  # how its figures are counted, shown under it
    x_label: str  # the header of the row labels' column
    columns: Sequence[Column]
    rows: Sequence[Row]
    value_format: ValueFormat = "count"
    horizontal: bool = False  # bars along the x axis, one per row (long labels read well)
    signed: bool = False  # a bar below 0 in its own colour (net lending: lender or borrower)
    y_suffix: str = ""  # after each tick and tooltip value ("%")
    y_max: float | None = None  # the value axis's top (100 for a percentage)
    csv_url: str = ""  # the table as CSV
    empty: str = ""  # the table's one row when there are no rows

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row.cells) != len(self.columns):
                raise ValueError(
                    f"Chart {self.key!r}: row {row.label!r} has {len(row.cells)} cells "
                    f"for {len(self.columns)} columns"
                )

    @property
    def testid(self) -> str:
        return f"chart-{self.key}"

    @property
    def series(self) -> list[int | None]:
        """Each column's palette entry (drawn columns only, in their order)."""
        drawn, found = 0, []
        for column in self.columns:
            if column.drawn:
                found.append(drawn if column.series is None else column.series)
                drawn += 1
            else:
                found.append(None)
        return found

    @property
    def header(self) -> list[tuple[Column, int | None]]:
        return list(zip(self.columns, self.series, strict=True))

    @property
    def body(self) -> list[tuple[Row, list[tuple[Cell, bool]]]]:
        """Each row with its cells, each cell with whether it is drawn."""
        drawn = [column.drawn for column in self.columns]
        return [(row, list(zip(row.cells, drawn, strict=True))) for row in self.rows]

    @property
    def body_html(self) -> SafeString:
        """The table's rows, written here rather than by the template's loop: a chart of 120
        libraries took the template 19 ms of the ILL report
        (docs/performance.md, "ILL reports"). Drawn cells carry their value unlocalized (the
        script reads it)."""
        if not self.rows:
            empty = conditional_escape(self.empty or _("Nothing in the period."))
            return mark_safe(f'<tr><td colspan="{self.width}" class="text-muted">{empty}</td></tr>')
        th = '<th scope="row">' if self.horizontal else '<th scope="row" class="nowrap">'
        html = []
        for row, cells in self.body:
            data = "".join(
                f' data-{conditional_escape(name)}="{conditional_escape(value)}"'
                for name, value in row.data.items()
            )
            label = conditional_escape(row.label)
            if row.code:
                label = f'<bdi class="code">{label}</bdi>'
            html.append(f"<tr{data}>{th}{label}</th>")
            for cell, is_drawn in cells:
                if not is_drawn:
                    value = " data-chart-skip"
                elif cell.value is not None:
                    value = (
                        f' data-value="{conditional_escape(formats.localize(cell.value, use_l10n=False))}"'
                    )
                else:
                    value = ""
                note = (
                    f' <span class="small text-muted">{conditional_escape(cell.note)}</span>'
                    if cell.note
                    else ""
                )
                html.append(
                    f'<td class="text-end nowrap"{value}><bdi dir="ltr">{conditional_escape(cell.shown)}</bdi>{note}</td>'
                )
            html.append("</tr>")
        return mark_safe("".join(html))

    @property
    def width(self) -> int:
        """Columns of the table, the label's included (an empty row's colspan)."""
        return len(self.columns) + 1

    @property
    def drawable(self) -> bool:
        """Something to draw: a row with a drawn figure."""
        return any(cell.value is not None and drawn for _row, cells in self.body for cell, drawn in cells)
