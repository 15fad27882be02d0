"""The desk's clock: a Monday morning in Lahore, so 'due today' and 'overdue' are fixed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

PKT = ZoneInfo("Asia/Karachi")
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=PKT)


@pytest.fixture
def monday():
    """Now is Monday 7 December 2026, 10:00 Pakistan time (a working day)."""
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield MONDAY_MORNING
