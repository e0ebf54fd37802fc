"""Clinic local time for the many UTC instants an export writes, looked up per hour.

A zone's offset changes a few times a year, so each UTC hour's offset is found once (with
zoneinfo) and every instant in that hour reuses it; the day's text is kept per local day and the
time of day comes from a table. An hour in which the offset changes (most zones change on the
hour, a few on the half hour) is converted instant by instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

HOUR = 3600
DAY = 86400
# Excel counts days from 1899-12-30, which is day -25569 of the Unix epoch.
EXCEL_EPOCH_DAYS = 25569
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CLOCK = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))


def offset_text(seconds: int) -> str:
    """A UTC offset as ISO 8601 writes it: '-05:00', '+05:30' (seconds dropped)."""
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class LocalTimes:
    """Converts UTC instants, given as whole seconds since the Unix epoch, to one zone's wall
    clock: as text ('2026-12-07 09:14 -05:00') or as an Excel date number."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        # UTC hour → (offset in seconds, ' -05:00'); None for an hour the offset changes in.
        self._hours: dict[int, tuple[int, str] | None] = {}
        self._days: dict[int, str] = {}

    def offset(self, instant: int) -> int:
        """Seconds the zone's wall clock is ahead of UTC at the instant."""
        hour = instant // HOUR
        if hour not in self._hours:
            self._hours[hour] = self._hour(hour)
        kept = self._hours[hour]
        return kept[0] if kept is not None else self._offset_at(instant)

    def text(self, instant: int) -> str:
        """'YYYY-MM-DD HH:MM ±HH:MM' in the zone (seconds dropped, not rounded)."""
        hour = instant // HOUR
        try:
            kept = self._hours[hour]
        except KeyError:
            kept = self._hours[hour] = self._hour(hour)
        if kept is None:
            offset = self._offset_at(instant)
            suffix = " " + offset_text(offset)
        else:
            offset, suffix = kept
        day, second = divmod(instant + offset, DAY)
        try:
            day_text = self._days[day]
        except KeyError:
            day_text = self._days[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + " "
        return day_text + _CLOCK[second // 60] + suffix

    def excel(self, instant: int) -> float:
        """The zone's wall-clock date and time as Excel stores a date: days since 1899-12-30."""
        return (instant + self.offset(instant)) / DAY + EXCEL_EPOCH_DAYS

    def _hour(self, hour: int) -> tuple[int, str] | None:
        start = self._offset_at(hour * HOUR)
        if self._offset_at(hour * HOUR + HOUR - 1) != start:
            return None
        return start, " " + offset_text(start)

    def _offset_at(self, instant: int) -> int:
        offset = datetime.fromtimestamp(instant, UTC).astimezone(self.zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0
