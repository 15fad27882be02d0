"""Working days in Pakistan: weekends, public holidays, and the admin's moon-sighting corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from policies.calendar import PAKISTAN, add_working_days, holiday_name, is_working_day, working_days_between
from policies.models import HolidayKind
from tests.policies.factories import HolidayFactory

pytestmark = pytest.mark.django_db


def pkt_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=PAKISTAN)


def test_weekends_and_public_holidays_are_not_working_days():
    assert is_working_day(date(2026, 11, 20))  # Friday
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 22))  # Sunday
    assert not is_working_day(date(2026, 3, 23))  # Pakistan Day, a Monday
    assert not is_working_day(date(2026, 2, 5))  # Kashmir Solidarity Day, a Thursday
    assert not is_working_day(date(2026, 8, 14))  # Independence Day


def test_three_working_days_from_friday_end_on_wednesday_night_pakistan_time():
    deadline = add_working_days(date(2026, 11, 20), 3)
    assert deadline == pkt_end(date(2026, 11, 25))
    assert deadline.utcoffset() == timedelta(hours=5)


def test_eid_and_pakistan_day_are_skipped():
    # Thursday 19 March 2026; Eid al-Fitr Fri 20 and Sat 21, Sunday, Pakistan Day Mon 23.
    assert add_working_days(date(2026, 3, 19), 1) == pkt_end(date(2026, 3, 24))


def test_admin_added_holiday_pushes_the_deadline():
    # given: the moon was sighted late and the government extended Eid to Tuesday
    HolidayFactory(date=date(2026, 3, 24), kind=HolidayKind.CLOSED)
    # then
    assert not is_working_day(date(2026, 3, 24))
    assert add_working_days(date(2026, 3, 19), 1) == pkt_end(date(2026, 3, 25))


def test_admin_can_cancel_a_computed_holiday():
    # given: Eid fell on Saturday after all, Friday 20 March was a working day
    HolidayFactory(date=date(2026, 3, 20), kind=HolidayKind.OPEN, name="Eid moved to Saturday")
    assert is_working_day(date(2026, 3, 20))
    assert add_working_days(date(2026, 3, 19), 1) == pkt_end(date(2026, 3, 20))
    assert holiday_name(date(2026, 3, 20)) is None


def test_the_start_day_is_the_pakistan_date_of_the_moment():
    # Thursday 23:59 PKT is still Thursday: one working day later is Friday night.
    thursday_late = datetime(2026, 11, 19, 18, 59, tzinfo=UTC)
    assert add_working_days(thursday_late, 1) == pkt_end(date(2026, 11, 20))
    # One minute later it is Friday 00:00 in Pakistan: the next working day is Monday.
    friday_midnight = datetime(2026, 11, 19, 19, 0, tzinfo=UTC)
    assert add_working_days(friday_midnight, 1) == pkt_end(date(2026, 11, 23))


def test_zero_days_means_the_end_of_the_first_working_day_from_the_start():
    assert add_working_days(date(2026, 11, 20), 0) == pkt_end(date(2026, 11, 20))
    assert add_working_days(date(2026, 11, 21), 0) == pkt_end(date(2026, 11, 23))


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2026, 11, 20), -1)


def test_weekend_days_are_a_setting(settings):
    settings.POLICIES_WEEKEND_DAYS = (6,)  # Sunday only, the federal weekend since 2022
    assert is_working_day(date(2026, 11, 21))
    assert add_working_days(date(2026, 11, 20), 1) == pkt_end(date(2026, 11, 21))


def test_a_closure_longer_than_the_lookup_window_is_still_respected():
    # given: a library system closed 60 days in a row (floods)
    start = date(2026, 9, 1)
    for offset in range(1, 61):
        HolidayFactory(date=start + timedelta(days=offset), name="Closed by floods")
    # when
    deadline = add_working_days(start, 1)
    # then: the first working day after the closure
    first_open = start + timedelta(days=61)
    while not is_working_day(first_open):
        first_open += timedelta(days=1)
    assert deadline == pkt_end(first_open)


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 25)) == 3
    assert working_days_between(date(2026, 11, 25), date(2026, 11, 20)) == 0


def test_holiday_name_says_why():
    assert holiday_name(date(2026, 8, 14)) == "Independence Day"
    assert holiday_name(date(2026, 11, 21)) == "Weekend"
    assert holiday_name(date(2026, 11, 20)) is None
