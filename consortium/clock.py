"""The portal's clock: the moment and the date in Pakistan time, asked in one place.

Deadlines and due dates are Pakistan dates (Asia/Karachi) whatever the server's zone.
Tests freeze time with time_machine, which these follow.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

PORTAL_TZ = ZoneInfo("Asia/Karachi")


def now() -> datetime:
    """This moment, timezone-aware."""
    return timezone.now()


def today() -> date:
    """Today's date in Pakistan."""
    return now().astimezone(PORTAL_TZ).date()
