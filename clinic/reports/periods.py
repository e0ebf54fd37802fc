"""The reporting period: a custom date range or a preset, in clinic dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PRESETS = {
    "last_30_days": "Last 30 days",
    "last_quarter": "Last quarter",
    "this_year": "This year",
}
DEFAULT_PRESET = "last_30_days"
MAX_DAYS = 5 * 366


class PeriodError(ValueError):
    """The dates asked for don't make a period; the message says why."""


@dataclass(frozen=True)
class Period:
    """First and last clinic date included, and how to describe the span."""

    first: date
    last: date
    label: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def preset_period(name: str, today: date) -> Period:
    """:raise PeriodError: for an unknown preset name."""
    if name == "last_30_days":
        return Period(today - timedelta(days=29), today, PRESETS[name])
    if name == "this_year":
        return Period(date(today.year, 1, 1), today, f"This year ({today.year})")
    if name == "last_quarter":
        quarter = (today.month - 1) // 3  # 0-based quarter we are in
        year = today.year if quarter else today.year - 1
        previous = (quarter - 1) % 4
        first = date(year, previous * 3 + 1, 1)
        after = date(year + (previous == 3), (previous * 3 + 3) % 12 + 1, 1)
        return Period(first, after - timedelta(days=1), f"Q{previous + 1} {year}")
    raise PeriodError(f"“{name}” is not a period this report knows.")


def custom_period(first: date, last: date) -> Period:
    """:raise PeriodError: when the range is reversed or longer than five years."""
    if last < first:
        raise PeriodError("The end date is before the start date; swap them.")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("Choose a period of at most five years.")
    return Period(first, last, f"{first:%-d %b %Y} – {last:%-d %b %Y}")
