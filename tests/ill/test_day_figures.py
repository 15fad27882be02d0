"""ILL figures by day (ill.day_figures): what a report shows after each kind of count, and
the percentiles it reads from the day histograms."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from ill import day_figures
from ill.figures import Cell, percentile, total
from ill.reports import ill_report
from ill.routing import route
from ill.services import ill_request_create
from policies.models import Holiday, HolidayKind

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))


def _figures(library, day):
    report = ill_report(start=day, end=day)
    return next(row for row in report.rows if row.library == library), report


def test_a_report_counts_what_happened_since_the_last_count(sent, library, lender, lender_librarian, act):
    today = sent.created_at.astimezone(ZoneInfo("Asia/Karachi")).date()
    home, _report = _figures(library, today)
    assert (home.requested, home.in_progress, home.supplied) == (1, 1, 0)
    act(sent, "will_supply", lender_librarian)
    act(sent, "ship", lender_librarian)
    home, report = _figures(library, today)
    away = next(row for row in report.rows if row.library == lender)
    assert (home.requested, home.in_progress, home.supplied, home.to_shipped_p50) == (1, 0, 1, 0)
    assert (away.asked, away.lent, away.still_asked) == (1, 1, 0)
    assert report.counted is not None and report.counted.rebuilt_at is not None


def test_the_nightly_recount_brings_a_holiday_correction_into_working_days(
    patron, record, librarian, lender_librarian, library, act
):
    with time_machine.travel(MONDAY, tick=False):
        req = act(ill_request_create(actor=patron, bib_record_id=record.pk), "validate", librarian)
        route(request_id=req.pk)
        act(req, "will_supply", lender_librarian)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):  # Wednesday
        act(req, "ship", lender_librarian)
    home, _report = _figures(library, MONDAY.date())
    assert home.to_shipped_p50 == 2  # Tuesday and Wednesday
    Holiday.objects.create(date=MONDAY.date() + timedelta(days=1), kind=HolidayKind.CLOSED, name="Closed")
    assert _figures(library, MONDAY.date())[0].to_shipped_p50 == 2  # nothing happened to the request
    day_figures.rebuild()
    assert _figures(library, MONDAY.date())[0].to_shipped_p50 == 1


def test_a_page_that_finds_a_count_running_shows_the_figures_counted_last(sent, library):
    other = connections.create_connection("default")  # another session, as another worker's
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [day_figures.LOCK_KEY])
        assert day_figures.refresh(wait=False) is False
        home, report = _figures(library, sent.created_at.astimezone(ZoneInfo("Asia/Karachi")).date())
        assert home.requested == 0 and report.counted is None  # never counted: nothing to show yet
    finally:
        other.close()
    assert day_figures.refresh(wait=False) is True


@pytest.mark.parametrize(
    ("histogram", "share", "expected"),
    [({0: 1, 1: 1, 5: 2}, 0.5, 1), ({0: 1, 1: 1, 5: 2}, 0.9, 5), ({3: 1}, 0.5, 3), ({}, 0.5, None),
     ({0: 9, 7: 1}, 0.9, 0), ({0: 9, 7: 2}, 0.9, 7)],
)  # fmt: skip
def test_percentiles_are_the_nearest_rank_of_the_histogram(histogram, share, expected):
    assert percentile(histogram, share) == expected


def _row(requested: int, received: dict[str, int], reasons: dict[str, int]) -> Cell:
    counts = {"requested": requested, "supplied": 0}
    return Cell(counts=counts, parts=[[{}, received, {}, reasons]])


def test_cells_sum_the_same_however_they_are_grouped():
    """A library's months summed into the library, then libraries into the consortium, give
    the histograms of every row summed at once, and a cell read before more is added is
    read again with the addition."""
    rows = [
        _row(3, {"0": 1, "2": 2}, {"not_held": 1}),
        _row(1, {"2": 1, "10": 4}, {}),
        _row(2, {"1": 1}, {"not_held": 2, "on_loan": 1}),
    ]
    library = total(rows[:2])
    assert library.histograms["to_received"] == {0: 1, 2: 3, 10: 4}
    library.add(rows[2])
    assert library.histograms["to_received"] == {0: 1, 1: 1, 2: 3, 10: 4}
    flat, grouped = total(rows), total([total(rows[:1]), total(rows[1:])])
    for cell in (flat, grouped):
        assert cell.counts["requested"] == 6
        assert cell.histograms["to_received"] == {0: 1, 1: 1, 2: 3, 10: 4}
        assert cell.histograms["unfilled_reasons"] == {"not_held": 3, "on_loan": 1}
        assert percentile(cell.histograms["to_received"], 0.5) == 2
    # a month's group of day rows, as cells() reads it: one cell of several rows
    days = Cell(counts={"requested": 6}, parts=[row._parts[0] for row in rows])
    assert days.histograms == flat.histograms
    assert Cell().histograms["to_shipped"] == {}
    assert Cell().counts["requested"] == 0


def test_the_counts_are_scheduled():
    from consortium.schedules import BEAT_SCHEDULE
    from ill.tasks import rebuild_day_figures_task, refresh_day_figures_task

    assert BEAT_SCHEDULE["ill.refresh_day_figures"]["task"] == refresh_day_figures_task.name
    assert BEAT_SCHEDULE["ill.rebuild_day_figures"]["task"] == rebuild_day_figures_task.name


def test_pages_opened_within_a_minute_share_the_last_count(sent, library, lender_librarian, act, settings):
    settings.ILL_FIGURES_FRESH_FOR = timedelta(minutes=1)
    today = sent.created_at.astimezone(ZoneInfo("Asia/Karachi")).date()
    assert _figures(library, today)[0].in_progress == 1
    act(sent, "will_supply", lender_librarian)
    act(sent, "ship", lender_librarian)
    assert _figures(library, today)[0].supplied == 0  # counted seconds ago: not again
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert _figures(library, today)[0].supplied == 1
