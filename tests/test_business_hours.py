"""Business-time arithmetic: weekends, evenings and both daylight-saving changes of 2026."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clinic import clock
from clinic.clock import BusinessCalendar, BusinessHoursError

NY = ZoneInfo("America/New_York")
WEEKDAYS = BusinessCalendar.parse("09:00-17:00", "mon,tue,wed,thu,fri", "America/New_York")
ALWAYS = BusinessCalendar.parse("00:00-24:00", "mon,tue,wed,thu,fri,sat,sun", "America/New_York")


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        # Friday 16:50 to Monday 09:05: 10 minutes on Friday, 5 on Monday.
        (ny(2026, 10, 16, 16, 50), ny(2026, 10, 19, 9, 5), 15 * 60),
        # Written on Saturday, answered Monday 09:05: five business minutes.
        (ny(2026, 10, 17, 12, 0), ny(2026, 10, 19, 9, 5), 5 * 60),
        # Evening to next morning.
        (ny(2026, 10, 14, 20, 0), ny(2026, 10, 15, 9, 20), 20 * 60),
        # Inside one working day.
        (ny(2026, 10, 14, 10, 0), ny(2026, 10, 14, 10, 10), 10 * 60),
        # A whole working week, Monday 09:00 to the next Monday 09:00.
        (ny(2026, 10, 12, 9, 0), ny(2026, 10, 19, 9, 0), 5 * 8 * 3600),
        # Contact before the inquiry (bad data) never counts negative.
        (ny(2026, 10, 14, 10, 0), ny(2026, 10, 14, 9, 0), 0),
    ],
)
def test_weekends_and_evenings_are_not_counted(start, end, seconds):
    assert WEEKDAYS.seconds_between(start, end) == seconds


def test_spring_forward_weekend_keeps_monday_opening_at_nine_local():
    # Friday 6 March 16:00 EST (UTC-5) to Monday 9 March 10:00 EDT (UTC-4): 1 h + 1 h.
    # A fixed UTC offset would put Monday's opening at 10:00 local and count only 1 h.
    assert WEEKDAYS.seconds_between(ny(2026, 3, 6, 16, 0), ny(2026, 3, 9, 10, 0)) == 2 * 3600


def test_fall_back_weekend_keeps_monday_opening_at_nine_local():
    # Friday 30 October 16:00 EDT to Monday 2 November 10:00 EST: 1 h + 1 h.
    assert WEEKDAYS.seconds_between(ny(2026, 10, 30, 16, 0), ny(2026, 11, 2, 10, 0)) == 2 * 3600


def test_dst_days_are_23_and_25_hours_long_when_always_open():
    assert ALWAYS.seconds_between(ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * 3600
    assert ALWAYS.seconds_between(ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * 3600
    assert ALWAYS.seconds_between(ny(2026, 11, 2), ny(2026, 11, 3)) == 24 * 3600


def test_day_length_and_local_dates(ctx):
    assert WEEKDAYS.day_seconds == 8 * 3600
    assert ALWAYS.day_seconds == 24 * 3600
    late_evening_utc = datetime.fromisoformat("2026-11-03T03:30:00+00:00")
    assert clock.today(late_evening_utc).isoformat() == "2026-11-02"
    assert clock.local_midnight(ny(2026, 11, 2).date()).isoformat() == "2026-11-02T05:00:00+00:00"
    assert clock.local_midnight(ny(2026, 10, 30).date()).isoformat() == "2026-10-30T04:00:00+00:00"


def test_the_calendar_follows_the_settings(app):
    """Parsed once per set of values, and read again when a setting changes."""
    with app.app_context():
        assert clock.business_calendar() is clock.business_calendar()
        assert clock.business_calendar().day_seconds == 8 * 3600
        app.config["CLINIC_BUSINESS_HOURS"] = "08:00-18:00"
        assert clock.business_calendar().day_seconds == 10 * 3600


@pytest.mark.parametrize(
    ("hours", "days", "zone", "message"),
    [
        ("9-5", "mon", "UTC", "is not a time like 09:00"),
        ("09:00", "mon", "UTC", "should look like 09:00-17:00"),
        ("17:00-09:00", "mon", "UTC", "closes before it opens"),
        ("09:00-25:00", "mon", "UTC", "is not a time of day"),
        ("09:00-17:00", "mon,funday", "UTC", "'fun' is not one of"),
        ("09:00-17:00", "", "UTC", "name at least one day"),
        ("09:00-17:00", "mon", "Mars/Olympus", "not a known time zone"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(hours, days, zone, message):
    with pytest.raises(BusinessHoursError, match=message):
        BusinessCalendar.parse(hours, days, zone)
