"""Browser: the ILL report's charts draw from their tables, in English and Urdu (right to
left), on a desktop and on a 412 px phone, with no script error and within the CSP (the
page fixture fails on a violation); the tables stay there to read."""

from __future__ import annotations

import pytest

from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.factories import ConsortiumAdminFactory, LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HORIZONTAL = {"chart-balance", "chart-provinces", "chart-reasons"}
CHARTS = [
    "chart-months",
    "chart-fill-rates",
    "chart-turnaround",
    "chart-balance",
    "chart-provinces",
    "chart-reasons",
]

# Each drawn chart: its canvas's size on the page and how many of its pixels are painted
# (a canvas of the right size can still be blank), and how Chart.js was told to lay it out.
CHART_STATE = """(figure) => {
  const canvas = figure.querySelector("canvas");
  const box = canvas.getBoundingClientRect();
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted += 1; }
  const chart = window.IshtiraakChart.Chart.getChart(canvas);
  const horizontal = chart.options.indexAxis === "y";
  return {
    drawn: figure.dataset.chartDrawn === "true", width: box.width, height: box.height,
    right: box.right, left: box.left, painted,
    categoryReversed: chart.options.scales[horizontal ? "y" : "x"].reverse,
    valueReversed: chart.options.scales[horizontal ? "x" : "y"].reverse,
    legendRtl: chart.options.plugins.legend.rtl, font: chart.options.scales.x.ticks.font.family,
    labels: chart.data.labels.length,
  };
}"""


@pytest.fixture
def lent_and_refused():
    """PK-KHI lent one item to PK-LHR and said no to another (not on shelf)."""
    borrower = LibraryFactory(
        code="PK-LHR", name="Lahore University", name_ur="لاہور یونیورسٹی", province="PB"
    )
    lender = LibraryFactory(
        code="PK-KHI", name="Karachi University", name_ur="کراچی یونیورسٹی", province="SD"
    )
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, services_allowed=["loan", "copy"])
    patron = PatronFactory(library=borrower)
    staff, lender_staff = LibrarianFactory(library=borrower), LibrarianFactory(library=lender)
    for actions in (("will_supply", "ship"), ("unfilled",)):
        req = ill_request_create(actor=patron, bib_record_id=held_by(lender).pk)
        ill_request_transition(request_id=req.pk, action="validate", actor=staff)
        route(request_id=req.pk)
        for action in actions:
            extra = {"reason_unfilled": "NotOnShelf"} if action == "unfilled" else {}
            ill_request_transition(request_id=req.pk, action=action, actor=lender_staff, **extra)
    ConsortiumAdminFactory(username="reporter")


@pytest.mark.parametrize("width", [1280, 412])
@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_reports_charts_draw_beside_their_tables(
    page, live_server, log_in, screenshot, lent_and_refused, language, width
):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # given a consortium admin reading in the language, at the width
    log_in("reporter")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": 900})
    # when the report opens
    page.goto("/ill/reports/")
    page.wait_for_load_state("networkidle")
    # then every chart is drawn, painted and within the page's width
    rtl = language == "ur"
    for testid in CHARTS:
        figure = page.get_by_test_id(testid)
        state = figure.evaluate(CHART_STATE)
        assert state["drawn"] and state["width"] > 150 and state["height"] > 100, (testid, state)
        assert state["painted"] > 500, (testid, state)
        assert state["left"] >= 0 and state["right"] <= width, (testid, state)
        # in Urdu time runs from the right, and bars grow leftwards from labels at the right
        assert state["legendRtl"] is rtl, (testid, state)
        if testid in HORIZONTAL:
            assert state["valueReversed"] is rtl and state["categoryReversed"] is False, (testid, state)
        else:
            assert state["categoryReversed"] is rtl and state["valueReversed"] is False, (testid, state)
        # in the page's own font (Nastaliq in Urdu)
        assert ("Nastaliq" in state["font"]) is rtl, state["font"]
        # and the table stays on the page to read, its figures the chart's
        assert figure.locator("table").is_visible() and figure.locator("tbody tr").count() == state["labels"]
    reasons = page.get_by_test_id("chart-reasons").locator('tr[data-reason="NotOnShelf"] td').first
    assert reasons.inner_text() == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == []
    if rtl:
        screenshot(f"report-{language}-{width}")


def test_pages_without_charts_do_not_load_the_chart_library(page, live_server):
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in loaded if "chart" in url]
