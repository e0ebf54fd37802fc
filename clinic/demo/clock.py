"""Demo time: three years that end at "now", people writing mostly in the evening, coordinators
at work on weekdays. Moments are whole microseconds since the Unix epoch (UTC), cheap to add
and compare a million times; :meth:`DemoClock.stamp` turns one into the database's text.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from clinic.demo.chance import between

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
YEARS = 3
SPAN = (365 * YEARS + 1) * DAY
# Share of people writing in each hour of the day, clinic time (evenings are busy: people
# write after work).
HOURLY = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5.5, 5, 5, 4.8, 4.8, 5, 5.5,
          6, 6.5, 6, 4, 2)  # fmt: skip
HOURLY_CDF = tuple(value / sum(HOURLY) for value in accumulate(HOURLY, initial=0))
# Coordinators work weekdays from 08:30 to 18:00 clinic time.
WORK_START = 8 * HOUR + 30 * MINUTE
WORK_END = 18 * HOUR
# How much busier the last year is than the first (a growing clinic).
GROWTH = 1.0
_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    return (moment.astimezone(UTC) - _UTC_EPOCH) // _MICROSECOND


class DemoClock:
    """Clinic-time arithmetic over the demo's three years, without a time-zone lookup per call:
    the clinic's UTC offset is worked out once per day of the span (daylight saving included).
    """

    def __init__(self, now: datetime, timezone: str, total: int, stamp_suffix: str = ""):
        self.now = micros(now)
        self.start = self.now - SPAN
        self.total = total
        self.suffix = stamp_suffix
        zone = ZoneInfo(timezone)
        first = _UTC_EPOCH + timedelta(microseconds=self.start)
        self.offsets = [
            (first + timedelta(days=day)).astimezone(zone).utcoffset() // _MICROSECOND
            for day in range(SPAN // DAY + 60)
        ]
        self._days: dict[int, str] = {}
        self._day_names: dict[date, str] = {}
        self._long_day_names: dict[date, str] = {}

    def offset(self, moment: int) -> int:
        index = (moment - self.start) // DAY
        return self.offsets[min(max(index, 0), len(self.offsets) - 1)]

    def arrival(self, index: int, rng: random.Random) -> int:
        """When the ``index``-th lead of the run first wrote: more often as the years go on,
        busiest in the evening, and in id order."""
        share = (index + rng.random()) / self.total
        x = (-1 + (1 + 2 * GROWTH * share * (1 + GROWTH / 2)) ** 0.5) / GROWTH
        moment = self.start + int(x * (SPAN - DAY))
        offset = self.offset(moment)
        local = moment + offset
        fraction = (local % DAY) / DAY
        hour = bisect_right(HOURLY_CDF, fraction) - 1
        low, high = HOURLY_CDF[hour], HOURLY_CDF[hour + 1]
        in_day = int((hour + (fraction - low) / (high - low)) * HOUR)
        return min(local - local % DAY + in_day - offset, self.now - SECOND)

    def working(self, moment: int, rng: random.Random) -> int:
        """The first moment at or after ``moment`` a coordinator is at work."""
        offset = self.offset(moment)
        local = moment + offset
        day_start = local - local % DAY
        weekday = (day_start // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        in_day = local - day_start
        if weekday < 5 and WORK_START <= in_day < WORK_END:
            return moment
        if weekday < 5 and in_day < WORK_START:
            target = day_start
        else:
            target = day_start + DAY
            while (target // DAY + 3) % 7 >= 5:
                target += DAY
        return target + WORK_START + between(rng, 0, 90 * MINUTE) - offset

    def consultation_slot(self, moment: int, rng: random.Random) -> int:
        """A half-hour slot from 09:00 to 16:30 clinic time, on the weekday of ``moment`` or
        the first weekday after it."""
        local = moment + self.offset(moment)
        day_start = local - local % DAY
        while (day_start // DAY + 3) % 7 >= 5:
            day_start += DAY
        slot = day_start + 9 * HOUR + between(rng, 0, 16) * 30 * MINUTE
        return slot - self.offset(slot)

    def next_weekday(self, moment: int) -> date:
        """The first weekday after the clinic's date at ``moment``."""
        day = self.local_date(moment) + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    def local_date(self, moment: int) -> date:
        return date(1970, 1, 1) + timedelta(days=(moment + self.offset(moment)) // DAY)

    def wall_time(self, moment: int) -> str:
        """The clinic's clock at ``moment``: '14:30'."""
        hour, minute = divmod((moment + self.offset(moment)) % DAY // MINUTE, 60)
        return f"{hour:02d}:{minute:02d}"

    def aware(self, moment: int) -> datetime:
        return _UTC_EPOCH + timedelta(microseconds=moment)

    def stamp(self, moment: int | None) -> str | None:
        """The timestamp as the database stores it (SQLAlchemy's SQLite format, 'YYYY-MM-DD
        HH:MM:SS.ffffff'; PostgreSQL reads the same text with '+00'). The date part is cached:
        a million leads have only about a thousand days between them."""
        if moment is None:
            return None
        day, rest = divmod(moment, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
        seconds, fraction = divmod(rest, SECOND)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{fraction:06d}{self.suffix}"

    def day_name(self, day: date) -> str:
        """A date as the timeline writes it: 'Tue 5 Mar 2024'."""
        name = self._day_names.get(day)
        if name is None:
            name = self._day_names[day] = day.strftime("%a %-d %b %Y")
        return name

    def long_day_name(self, day: date) -> str:
        """A date as a consultation is described: 'Tuesday 5 March'."""
        name = self._long_day_names.get(day)
        if name is None:
            name = self._long_day_names[day] = f"{day:%A} {day.day} {day:%B}"
        return name
