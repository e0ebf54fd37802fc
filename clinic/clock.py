"""The clinic clock: what time it is, which calendar day that is in the clinic, and when the
clinic answers.

Every reader of "now" or "today" comes here, so a test that freezes the clock (time_machine)
freezes all of them, and the clinic's day is always its own time zone's, never UTC's or the
server's. Speed to lead is judged in business hours, so a Saturday inquiry answered at 09:05 on
Monday counts as five minutes, not two days. Opening hours are local wall-clock times; each
day's window is converted to UTC separately, which keeps the arithmetic right across
daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from clinic.models.base import utcnow
from clinic.profile import current_profile

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The very callable the models' timestamp defaults use, so both read the same (frozen) clock.
now = utcnow


def zone() -> ZoneInfo:
    """The clinic's time zone, as its profile sets it (CLINIC_TIMEZONE before the first save).

    Read many times per page: the profile comes from the process's copy, not the database.
    """
    return _zone(current_profile().timezone)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def today(at: datetime | None = None) -> date:
    """The clinic's calendar date at an instant (now when none is given)."""
    return (at or now()).astimezone(zone()).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant a clinic calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """Clinic days first..last as a half-open UTC range [start, end)."""
    return local_midnight(first), local_midnight(last + timedelta(days=1))


def week_start(day: date) -> date:
    """The Monday of a day's week: the clinic's weeks start on Monday."""
    return day - timedelta(days=day.weekday())


def business_calendar() -> BusinessCalendar:
    """The configured business hours, days and zone, parsed once per set of values.

    :raise BusinessHoursError: when a setting is not understood.
    """
    config = current_app.config
    return _calendar(
        config["CLINIC_BUSINESS_HOURS"], config["CLINIC_BUSINESS_DAYS"], current_profile().timezone
    )


@lru_cache(maxsize=8)
def _calendar(hours: str, days: str, timezone: str) -> BusinessCalendar:
    return BusinessCalendar.parse(hours, days, timezone)


class BusinessHoursError(ValueError):
    """The configured business hours, days or time zone are not understood; the message says why."""


def _parse_clock(text: str, setting: str) -> time | None:
    """'09:00' → time(9); '24:00' → None, meaning the following midnight."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise BusinessHoursError(f"{setting}: {text.strip()!r} is not a time like 09:00.")
    hour, minute = int(hours), int(minutes)
    if (hour, minute) == (24, 0):
        return None
    if hour > 23 or minute > 59:
        raise BusinessHoursError(f"{setting}: {text.strip()!r} is not a time of day.")
    return time(hour, minute)


@dataclass(frozen=True)
class BusinessCalendar:
    """When the clinic answers: opening and closing time on each business day, in one zone."""

    tz: ZoneInfo
    opens: time
    closes: time | None  # None: open until midnight
    days: frozenset[int]  # date.weekday() numbers, Monday = 0

    @classmethod
    def parse(cls, hours: str, days: str, timezone: str) -> BusinessCalendar:
        """Read the CLINIC_BUSINESS_HOURS / _DAYS / CLINIC_TIMEZONE settings.

        :raise BusinessHoursError: naming the setting and the value that is wrong.
        """
        opens_text, sep, closes_text = hours.partition("-")
        if not sep:
            raise BusinessHoursError(
                f"CLINIC_BUSINESS_HOURS: {hours!r} should look like 09:00-17:00."
            )
        opens = _parse_clock(opens_text, "CLINIC_BUSINESS_HOURS")
        closes = _parse_clock(closes_text, "CLINIC_BUSINESS_HOURS")
        if opens is None:
            raise BusinessHoursError("CLINIC_BUSINESS_HOURS: opening time can't be 24:00.")
        if closes is not None and closes <= opens:
            raise BusinessHoursError(
                f"CLINIC_BUSINESS_HOURS: {hours!r} closes before it opens; "
                "hours past midnight are not supported."
            )
        day_numbers = set()
        for name in days.split(","):
            name = name.strip().lower()[:3]
            if not name:
                continue
            if name not in DAY_NAMES:
                raise BusinessHoursError(
                    f"CLINIC_BUSINESS_DAYS: {name!r} is not one of {', '.join(DAY_NAMES)}."
                )
            day_numbers.add(DAY_NAMES.index(name))
        if not day_numbers:
            raise BusinessHoursError("CLINIC_BUSINESS_DAYS: name at least one day, e.g. mon,tue.")
        try:
            zone = ZoneInfo(timezone.strip())
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise BusinessHoursError(
                f"CLINIC_TIMEZONE: {timezone!r} is not a known time zone such as America/New_York."
            ) from error
        return cls(tz=zone, opens=opens, closes=closes, days=frozenset(day_numbers))

    @property
    def day_seconds(self) -> int:
        """Length of an ordinary business day: what 'within one business day' means."""
        closes = (self.closes.hour * 60 + self.closes.minute) if self.closes else 24 * 60
        return (closes - (self.opens.hour * 60 + self.opens.minute)) * 60

    def next_business_day(self, day: date) -> date:
        """The first business day after ``day``."""
        following = day + timedelta(days=1)
        while following.weekday() not in self.days:
            following += timedelta(days=1)
        return following

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening hours as UTC instants (a DST day may be shorter or longer)."""
        opens_at = datetime.combine(day, self.opens, tzinfo=self.tz)
        if self.closes is None:
            closes_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        else:
            closes_at = datetime.combine(day, self.closes, tzinfo=self.tz)
        return opens_at.astimezone(UTC), closes_at.astimezone(UTC)

    def windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening windows that overlap [start, end), clipped to it, in UTC."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if day.weekday() in self.days:
                opens_at, closes_at = self.window(day)
                low, high = max(opens_at, start), min(closes_at, end)
                if high > low:
                    yield low, high
            day += timedelta(days=1)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole business seconds from start to end; 0 when end is not after start."""
        if end <= start:
            return 0
        total = sum((high - low for low, high in self.windows(start, end)), timedelta())
        return int(total.total_seconds())
