"""The portal's clock answers in Pakistan time whatever the server's zone, and follows frozen time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from consortium import clock


def test_today_is_the_date_in_pakistan_not_utc():
    # 20:30 UTC on 31 December is already 1 January in Pakistan (UTC+5)
    with time_machine.travel(datetime(2026, 12, 31, 20, 30, tzinfo=UTC), tick=False):
        assert clock.now() == datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
        assert clock.today() == date(2027, 1, 1)
    with time_machine.travel(datetime(2026, 12, 31, 18, 59, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 31)
