"""Working days in Pakistan: weekends, public holidays, and the admin's corrections.

A day is a working day unless it falls on a weekend day (``POLICIES_WEEKEND_DAYS``) or
a Pakistani public holiday (the ``holidays`` package, country PK). Islamic holidays
move with moon sighting, so the consortium admin's ``Holiday`` rows win over both:
an "open" row makes a day a working day (a computed Eid date that did not happen, or a
working Saturday), a "closed" row makes it a holiday (the Eid that did).
Deadlines are counted in Pakistan time (Asia/Karachi) whatever the server's zone.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

import holidays
from django.conf import settings
from django.utils import timezone

from consortium.clock import PORTAL_TZ

PAKISTAN = PORTAL_TZ


@functools.lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PK", years=year))


def _weekend() -> frozenset[int]:
    return frozenset(settings.POLICIES_WEEKEND_DAYS)


def pakistan_date(moment: date | datetime | None = None) -> date:
    """The calendar date in Pakistan at this moment (today when None)."""
    if moment is None:
        moment = timezone.now()
    if isinstance(moment, datetime):
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, PAKISTAN)
        return moment.astimezone(PAKISTAN).date()
    return moment


def _corrections(start: date, end: date) -> dict[date, bool]:
    """Admin corrections between two dates: date -> is a working day."""
    from policies.models import Holiday, HolidayKind

    rows = Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
    return {day: kind == HolidayKind.OPEN for day, kind in rows}


def _is_working(day: date, corrections: dict[date, bool], weekend: frozenset[int]) -> bool:
    if day in corrections:
        return corrections[day]
    if day.weekday() in weekend:
        return False
    return day not in _public_holidays(day.year)


def is_working_day(day: date | datetime) -> bool:
    """Whether member libraries are open on this day (Pakistan time for datetimes)."""
    day = pakistan_date(day)
    return _is_working(day, _corrections(day, day), _weekend())


def holiday_name(day: date) -> str | None:
    """Why the day is not a working day, or None when it is one."""
    from policies.models import Holiday, HolidayKind

    row = Holiday.objects.filter(date=day).first()
    if row is not None:
        return row.name if row.kind == HolidayKind.CLOSED else None
    if day.weekday() in _weekend():
        return "Weekend"
    names = holidays.country_holidays("PK", years=day.year)
    return names.get(day)


def end_of_day(day: date) -> datetime:
    """The last instant of this day in Pakistan."""
    return datetime.combine(day, time.max, tzinfo=PAKISTAN)


def add_working_days(start: date | datetime, n: int) -> datetime:
    """The end (23:59:59.999999 Pakistan time) of the n-th working day after ``start``'s day.

    ``n = 0`` gives the end of the first working day on or after the start day. A request
    received on Friday evening with 3 working days to answer is due at the end of
    Wednesday (Saturday and Sunday are not counted), later when holidays intervene.
    """
    if n < 0:
        raise ValueError("n must be zero or more working days")
    day = pakistan_date(start)
    weekend = _weekend()
    # One query for the corrections of a window that surely holds the answer: at most
    # two weekend days per five working days, plus room for a run of holidays (Eid).
    window = n * 2 + 30
    corrections = _corrections(day, day + timedelta(days=window))
    counted = 0
    if n == 0:
        while not _is_working(day, corrections, weekend):
            day += timedelta(days=1)
        return end_of_day(day)
    limit = day + timedelta(days=window)
    while counted < n:
        day += timedelta(days=1)
        if day > limit:  # a longer closure than the window: fetch the next window
            limit = day + timedelta(days=window)
            corrections.update(_corrections(day, limit))
        if _is_working(day, corrections, weekend):
            counted += 1
    return end_of_day(day)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    if end <= start:
        return 0
    corrections = _corrections(start, end)
    weekend = _weekend()
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += _is_working(day, corrections, weekend)
    return count


def working_day_numbers(start: date, end: date) -> list[tuple[date, int]]:
    """Each day from start to end with the working days from ``start`` up to and including
    it: two days' numbers differ by ``working_days_between`` them, so the ILL figures
    (ill.day_figures) measure turnaround in working days in SQL by subtracting two."""
    corrections = _corrections(start, end)
    weekend = _weekend()
    numbers, count, day = [], 0, start
    while day <= end:
        count += _is_working(day, corrections, weekend)
        numbers.append((day, count))
        day += timedelta(days=1)
    return numbers
