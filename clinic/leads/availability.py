"""When consultations can be booked: each host's weekly hours per kind, their time off and
one-off extra hours, the clinic's booking rules, and the free slots that follow from them.

Weekly hours are clinic wall-clock times: each day's range is turned into UTC for that day
alone, so 09:00 is 09:00 local on both sides of a daylight-saving change. Slots start on a grid
from the start of each range (start + n × (slot + buffer)), so a patient sees the same times
from one visit to the next; a slot is left out when it overlaps a booked consultation of the
same host (any kind) widened by the buffer, or the host's time off.

Double booking is refused by the database (a unique index on booked appointments by host and
start), not here: these functions say what looks free, and the booking re-checks one slot with
:func:`slot_is_free` before inserting.

The writes (:func:`replace_weekly_hours`, :func:`add_exception`, :func:`remove_exception`,
:func:`save_booking_settings`) add to the caller's transaction and an audit row; they never
commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import delete, literal, select

from clinic import audit, clock
from clinic.extensions import db
from clinic.leads import normalise
from clinic.models import Appointment, StaffUser, utcnow
from clinic.models import availability as rows
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.worker_cache import EXTENSION_KEY, cached

STEP_MINUTES = 5
LOCATION_MAX = 300
NOTE_MAX = 200
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SETTINGS_CACHE = "booking_settings"

# What an admin may choose, with the reason a value outside is refused.
SETTING_LIMITS = {
    "slot_minutes": (5, 240),
    "buffer_minutes": (0, 120),
    "horizon_days": (1, 365),
    "notice_business_hours": (0, 200),
    "link_days": (1, 90),
}


class AvailabilityError(ValueError):
    """Hours, an exception or a setting that can't be saved as given; raised before anything
    changes, with a message fit for staff."""


@dataclass(frozen=True)
class BookingSettings:
    slot_minutes: int = 30
    buffer_minutes: int = 10  # between consecutive slots of one host
    horizon_days: int = 21  # how far ahead patients may book
    notice_business_hours: int = 4  # minimum notice, in the clinic's business hours
    link_days: int = 14  # how long a patient's booking link works


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    kind: str  # a key of APPOINTMENT_KINDS
    host_id: int
    location: str | None  # in person: the address or room; phone and video: None


@dataclass(frozen=True)
class HoursRange:
    """One range of a weekday's hours, clinic wall-clock time."""

    weekday: int  # Monday = 0
    start: time
    end: time
    location: str | None = None


@dataclass(frozen=True)
class _Window:
    """A span in which a host offers one kind of consultation (UTC)."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    host_id: int
    location: str | None


# Booking settings -------------------------------------------------------------------------


def booking_settings() -> BookingSettings:
    """The clinic's booking rules (the defaults until an admin saves them), kept in this process
    for CLINIC_BOOKING_SETTINGS_CACHE_SECONDS."""
    return cached(_SETTINGS_CACHE, _read_settings, max_age="CLINIC_BOOKING_SETTINGS_CACHE_SECONDS")


def _read_settings() -> BookingSettings:
    row = db.session.get(rows.BookingSettings, 1)
    if row is None:
        return BookingSettings()
    return BookingSettings(
        slot_minutes=row.slot_minutes,
        buffer_minutes=row.buffer_minutes,
        horizon_days=row.horizon_days,
        notice_business_hours=row.notice_business_hours,
        link_days=row.link_days,
    )


def save_booking_settings(settings: BookingSettings, actor: StaffUser | None) -> BookingSettings:
    """Store the clinic's booking rules (audited); this process uses them at once.

    :raise AvailabilityError: a value outside :data:`SETTING_LIMITS`, or a slot length not on
        the 5-minute step.
    """
    for name, (low, high) in SETTING_LIMITS.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise AvailabilityError(f"{_setting_words(name)} must be from {low} to {high}.")
    if settings.slot_minutes % STEP_MINUTES or settings.buffer_minutes % STEP_MINUTES:
        raise AvailabilityError(
            f"The slot length and the buffer go in steps of {STEP_MINUTES} minutes."
        )
    before = _read_settings()
    row = db.session.get(rows.BookingSettings, 1)
    if row is None:
        row = rows.BookingSettings(id=1)
        db.session.add(row)
    for name in SETTING_LIMITS:
        setattr(row, name, getattr(settings, name))
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    audit.record(
        "booking settings changed",
        detail=audit.changes(
            {name: str(getattr(before, name)) for name in SETTING_LIMITS},
            {name: str(getattr(settings, name)) for name in SETTING_LIMITS},
        ),
        actor=actor,
    )
    db.session.flush()
    forget_settings()
    return settings


def forget_settings() -> None:
    """Drop this process's copy of the booking rules (the next read fetches them)."""
    current_app.extensions.get(EXTENSION_KEY, {}).pop(_SETTINGS_CACHE, None)


def _setting_words(name: str) -> str:
    return {
        "slot_minutes": "The slot length (minutes)",
        "buffer_minutes": "The buffer between slots (minutes)",
        "horizon_days": "How far ahead patients may book (days)",
        "notice_business_hours": "The minimum notice (business hours)",
        "link_days": "How long a booking link works (days)",
    }[name]


# Free slots -------------------------------------------------------------------------------


def earliest_start(now: datetime, settings: BookingSettings | None = None) -> datetime:
    """The first instant a patient may book: ``now`` plus the minimum notice counted in the
    clinic's business hours (a Friday-afternoon visit can't book first thing Monday)."""
    settings = settings or booking_settings()
    return add_business_hours(now, settings.notice_business_hours)


def add_business_hours(start: datetime, hours: int) -> datetime:
    """The instant ``hours`` business hours after ``start`` (clock.business_calendar())."""
    remaining = timedelta(hours=hours)
    start = start.astimezone(UTC)
    if remaining <= timedelta(0):
        return start
    calendar = clock.business_calendar()
    day = start.astimezone(calendar.tz).date()
    # Bounded: a calendar has at least one business day a week, so this ends within
    # (hours / shortest day + 1) weeks; the bound only guards against a broken calendar.
    for _ in range(7 * (hours + 2)):
        if day.weekday() in calendar.days:
            opens_at, closes_at = calendar.window(day)
            low = max(opens_at, start)
            if closes_at > low:
                if closes_at - low >= remaining:
                    return low + remaining
                remaining -= closes_at - low
        day += timedelta(days=1)
    raise clock.BusinessHoursError("The business calendar has no open hours.")


def latest_end(now: datetime, settings: BookingSettings | None = None) -> datetime:
    """The end of what patients may book: the end of the clinic day ``horizon_days`` ahead."""
    settings = settings or booking_settings()
    last_day = clock.today(now) + timedelta(days=settings.horizon_days)
    return clock.local_midnight(last_day + timedelta(days=1))


def free_slots(
    *,
    now: datetime,
    kind: str | None = None,
    host_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Slot]:
    """Every bookable slot from max(start, now + notice) to min(end, end of the horizon),
    ordered by start then host (then kind): each active host's weekly hours and extra hours for
    the kind (every kind when None), less their time off and their booked consultations
    (any kind) widened by the buffer."""
    settings = booking_settings()
    low = earliest_start(now, settings)
    if start is not None:
        low = max(low, start.astimezone(UTC))
    high = latest_end(now, settings)
    if end is not None:
        high = min(high, end.astimezone(UTC))
    if high <= low:
        return []
    return _slots_between(low, high, settings, kind=kind, host_id=host_id)


def slot_is_free(slot: Slot, *, now: datetime) -> bool:
    """Whether the slot (as shown earlier, posted back) is still offered just as it was."""
    found = free_slots(
        now=now,
        kind=slot.kind,
        host_id=slot.host_id,
        start=slot.starts_at,
        end=slot.ends_at,
    )
    return slot in found


def _slots_between(
    low: datetime,
    high: datetime,
    settings: BookingSettings,
    *,
    kind: str | None,
    host_id: int | None,
) -> list[Slot]:
    length = timedelta(minutes=settings.slot_minutes)
    step = length + timedelta(minutes=settings.buffer_minutes)
    buffer = timedelta(minutes=settings.buffer_minutes)
    # A window that began before ``low`` still sets the grid, so read from the day before.
    windows = _windows(low - timedelta(days=1), high, kind=kind, host_id=host_id)
    hosts = {window.host_id for window in windows}
    busy = _busy(hosts, low - length - buffer, high + buffer)
    found: dict[tuple[datetime, int, str], Slot] = {}
    for window in windows:
        at = window.starts_at
        while at + length <= window.ends_at:
            if at >= low and at + length <= high:
                slot_end = at + length
                clear = all(
                    not (blocked_start < slot_end and at < blocked_end)
                    for blocked_start, blocked_end in busy.get(window.host_id, ())
                )
                key = (at, window.host_id, window.kind)
                if clear and key not in found:
                    found[key] = Slot(at, slot_end, window.kind, window.host_id, window.location)
            at += step
    return [found[key] for key in sorted(found, key=lambda key: (key[0], key[1], key[2]))]


def _windows(
    low: datetime, high: datetime, *, kind: str | None, host_id: int | None
) -> list[_Window]:
    """The hosts' weekly hours on each clinic day of [low, high), and their extra hours."""
    hours_query = (
        select(rows.WeeklyHours)
        .join(StaffUser, StaffUser.id == rows.WeeklyHours.staff_user_id)
        .where(StaffUser.active.is_(True), StaffUser.role != "editor")
    )
    extra_query = (
        select(rows.AvailabilityException)
        .join(StaffUser, StaffUser.id == rows.AvailabilityException.staff_user_id)
        .where(
            StaffUser.active.is_(True),
            StaffUser.role != "editor",
            rows.AvailabilityException.kind == "extra",
            rows.AvailabilityException.ends_at > low,
            rows.AvailabilityException.starts_at < high,
        )
    )
    if kind is not None:
        hours_query = hours_query.where(rows.WeeklyHours.kind == kind)
    if host_id is not None:
        hours_query = hours_query.where(rows.WeeklyHours.staff_user_id == host_id)
        extra_query = extra_query.where(rows.AvailabilityException.staff_user_id == host_id)
    by_weekday: dict[int, list[rows.WeeklyHours]] = {}
    for hours in db.session.execute(hours_query).scalars():
        by_weekday.setdefault(hours.weekday, []).append(hours)
    zone = clock.zone()
    windows: list[_Window] = []
    day = low.astimezone(zone).date()
    last = high.astimezone(zone).date()
    while day <= last:
        for hours in by_weekday.get(day.weekday(), ()):
            windows.append(
                _Window(
                    _local(day, hours.start_time),
                    _local(day, hours.end_time),
                    hours.kind,
                    hours.staff_user_id,
                    hours.location if hours.kind == "in_person" else None,
                )
            )
        day += timedelta(days=1)
    for extra in db.session.execute(extra_query).scalars():
        for offered in extra.kind_list:
            if kind is None or offered == kind:
                windows.append(
                    _Window(
                        extra.starts_at,
                        extra.ends_at,
                        offered,
                        extra.staff_user_id,
                        extra.location if offered == "in_person" else None,
                    )
                )
    return windows


def _busy(
    hosts: Iterable[int], low: datetime, high: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each host's blocked spans in [low, high): booked consultations widened by the buffer
    (read through ix_appointments_booked_host_starts_at) and their time off."""
    hosts = sorted(set(hosts))
    if not hosts:
        return {}
    buffer = timedelta(minutes=booking_settings().buffer_minutes)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    booked = db.session.execute(
        select(Appointment.host_id, Appointment.starts_at, Appointment.duration_minutes).where(
            Appointment.status == literal("booked", literal_execute=True),
            Appointment.host_id.in_(hosts),
            # The longest consultation (8 hours) starting this early may still reach ``low``.
            Appointment.starts_at >= low - timedelta(hours=8),
            Appointment.starts_at < high,
        )
    )
    for host, starts_at, minutes in booked:
        if host is None:  # not possible: the query asks for these hosts
            continue
        ends = starts_at + timedelta(minutes=minutes)
        busy.setdefault(host, []).append((starts_at - buffer, ends + buffer))
    off = db.session.execute(
        select(
            rows.AvailabilityException.staff_user_id,
            rows.AvailabilityException.starts_at,
            rows.AvailabilityException.ends_at,
        ).where(
            rows.AvailabilityException.staff_user_id.in_(hosts),
            rows.AvailabilityException.kind == "off",
            rows.AvailabilityException.ends_at > low,
            rows.AvailabilityException.starts_at < high,
        )
    )
    for host, starts_at, ends_at in off:
        busy.setdefault(host, []).append((starts_at, ends_at))
    return busy


def _local(day: date, at: time) -> datetime:
    """A clinic wall-clock time on a clinic day, as UTC (that day's offset)."""
    return datetime.combine(day, at, tzinfo=clock.zone()).astimezone(UTC)


# Weekly hours -----------------------------------------------------------------------------


def weekly_hours(staff_user_id: int) -> list[rows.WeeklyHours]:
    """A person's weekly hours by kind, weekday and start."""
    return list(
        db.session.execute(
            select(rows.WeeklyHours)
            .where(rows.WeeklyHours.staff_user_id == staff_user_id)
            .order_by(rows.WeeklyHours.kind, rows.WeeklyHours.weekday, rows.WeeklyHours.start_time)
        ).scalars()
    )


def check_ranges(kind: str, ranges: Sequence[HoursRange]) -> list[HoursRange]:
    """The ranges cleaned as they will be stored.

    :raise AvailabilityError: an unknown kind or weekday, an end not after its start, a time
        off the 5-minute step, two ranges of one weekday that overlap, an in-person range
        without a location, a location too long.
    """
    if kind not in APPOINTMENT_KINDS:
        raise AvailabilityError("Choose a kind of consultation: phone, video or in person.")
    cleaned: list[HoursRange] = []
    for hours in ranges:
        if not 0 <= hours.weekday <= 6:
            raise AvailabilityError("Choose a day of the week.")
        day = WEEKDAY_NAMES[hours.weekday]
        for at in (hours.start, hours.end):
            if at.minute % STEP_MINUTES or at.second or at.microsecond:
                raise AvailabilityError(
                    f"{day}: use times on {STEP_MINUTES}-minute steps, "
                    f"such as 09:00 or 09:05 ({at:%H:%M} is not)."
                )
        if hours.end <= hours.start:
            raise AvailabilityError(
                f"{day}: the end ({hours.end:%H:%M}) must be after the start ({hours.start:%H:%M})."
            )
        location = normalise.clean_line(hours.location) or None if hours.location else None
        if kind != "in_person":
            location = None
        elif not location:
            raise AvailabilityError(f"{day}: say where in-person consultations happen.")
        elif len(location) > LOCATION_MAX:
            raise AvailabilityError(
                f"{day}: the location can be at most {LOCATION_MAX} characters long."
            )
        cleaned.append(HoursRange(hours.weekday, hours.start, hours.end, location))
    ordered = sorted(cleaned, key=lambda each: (each.weekday, each.start))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.start < before.end:
            raise AvailabilityError(
                f"{WEEKDAY_NAMES[before.weekday]}: {before.start:%H:%M}–{before.end:%H:%M} "
                f"and {after.start:%H:%M}–{after.end:%H:%M} overlap."
            )
    return ordered


def replace_weekly_hours(
    staff_user: StaffUser,
    kind: str,
    ranges: Sequence[HoursRange],
    actor: StaffUser | None,
    *,
    weekdays: Iterable[int] | None = None,
    actor_email: str | None = None,
) -> list[rows.WeeklyHours]:
    """Replace the person's hours of one kind on the given weekdays (every weekday when None)
    with ``ranges`` (an empty list clears them); audited when anything changed (``actor_email``
    names a command-line operator).

    :raise AvailabilityError: see :func:`check_ranges`; also a range on a weekday not being
        replaced.
    """
    days = set(range(7) if weekdays is None else weekdays)
    cleaned = check_ranges(kind, ranges)
    if any(hours.weekday not in days for hours in cleaned):
        raise AvailabilityError("Hours were given for a day that is not being changed.")
    existing = [
        hours
        for hours in weekly_hours(staff_user.id)
        if hours.kind == kind and hours.weekday in days
    ]
    before = _describe_ranges(
        HoursRange(h.weekday, h.start_time, h.end_time, h.location) for h in existing
    )
    after = _describe_ranges(cleaned)
    if before == after:
        return existing
    db.session.execute(
        delete(rows.WeeklyHours).where(
            rows.WeeklyHours.staff_user_id == staff_user.id,
            rows.WeeklyHours.kind == kind,
            rows.WeeklyHours.weekday.in_(sorted(days)),
        )
    )
    stored = [
        rows.WeeklyHours(
            staff_user_id=staff_user.id,
            kind=kind,
            weekday=hours.weekday,
            start_time=hours.start,
            end_time=hours.end,
            location=hours.location,
        )
        for hours in cleaned
    ]
    db.session.add_all(stored)
    db.session.flush()
    audit.record(
        "availability changed",
        detail=(
            f"{staff_user.email}: {APPOINTMENT_KINDS[kind].lower()} hours "
            f"{before or 'none'} → {after or 'none'}"
        ),
        actor=actor,
        actor_email=actor_email,
    )
    return stored


def _describe_ranges(ranges: Iterable[HoursRange]) -> str:
    """'Mon 09:00–17:00, Tue 09:00–12:00 (Room 2)': the hours as the audit log shows them."""
    return ", ".join(
        f"{WEEKDAY_NAMES[each.weekday][:3]} {each.start:%H:%M}–{each.end:%H:%M}"
        + (f" ({each.location})" if each.location else "")
        for each in sorted(ranges, key=lambda each: (each.weekday, each.start))
    )


def parse_days(text: str) -> list[int]:
    """'mon-fri', 'mon,wed,fri', 'sat' or 'mon-wed,fri' → weekday numbers (Monday = 0).

    :raise AvailabilityError: a name that is not a day.
    """
    days: set[int] = set()
    for part in text.lower().split(","):
        part = part.strip()
        if not part:
            continue
        first, sep, last = part.partition("-")
        start = _day_number(first)
        end = _day_number(last) if sep else start
        if end < start:
            raise AvailabilityError(f"“{part}”: a range of days runs forward, like mon-fri.")
        days.update(range(start, end + 1))
    if not days:
        raise AvailabilityError("Name at least one day, like mon-fri or mon,wed,fri.")
    return sorted(days)


def _day_number(name: str) -> int:
    short = name.strip()[:3]
    if short not in clock.DAY_NAMES:
        raise AvailabilityError(f"“{name.strip()}” is not a day; use mon, tue, … sun.")
    return clock.DAY_NAMES.index(short)


def parse_time(text: str) -> time:
    """'09:00' or '9:30' → a time.

    :raise AvailabilityError: anything else.
    """
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise AvailabilityError(f"“{text.strip()}” is not a time like 09:00.")
    if int(hours) > 23 or int(minutes) > 59:
        raise AvailabilityError(f"“{text.strip()}” is not a time of day.")
    return time(int(hours), int(minutes))


# Exceptions -------------------------------------------------------------------------------


def exceptions_for(staff_user_id: int, now: datetime) -> list[rows.AvailabilityException]:
    """A person's time off and extra hours not over yet, soonest first."""
    return list(
        db.session.execute(
            select(rows.AvailabilityException)
            .where(
                rows.AvailabilityException.staff_user_id == staff_user_id,
                rows.AvailabilityException.ends_at > now,
            )
            .order_by(rows.AvailabilityException.starts_at, rows.AvailabilityException.id)
        ).scalars()
    )


def add_exception(
    staff_user: StaffUser,
    *,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: StaffUser | None,
    kinds: Sequence[str] = (),
    location: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> rows.AvailabilityException:
    """Add time off (``kind`` "off") or extra hours ("extra", for ``kinds``); audited.

    Time off does not cancel consultations already booked in it: the person (or a colleague)
    moves them, which tells each patient.

    :raise AvailabilityError: an unknown kind, an end not after its start, an end that has
        passed, extra hours for no kind or an unknown one, in person without a location, times
        off the 5-minute step, a note or location too long.
    """
    now = now or utcnow()
    if kind not in rows.EXCEPTION_KINDS:
        raise AvailabilityError("Choose time off or extra hours.")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise AvailabilityError("Give the dates and times in the clinic's time zone.")
    if ends_at <= starts_at:
        raise AvailabilityError("The end must be after the start.")
    if ends_at <= now:
        raise AvailabilityError("That time has passed; choose a later date or time.")
    for at in (starts_at, ends_at):
        if at.minute % STEP_MINUTES or at.second or at.microsecond:
            raise AvailabilityError(f"Use times on {STEP_MINUTES}-minute steps, such as 14:05.")
    offered = sorted(set(kinds)) if kind == "extra" else []
    if kind == "extra" and not offered:
        raise AvailabilityError("Choose which kinds of consultation the extra hours are for.")
    if any(each not in APPOINTMENT_KINDS for each in offered):
        raise AvailabilityError("Choose phone, video or in person.")
    place = normalise.clean_line(location) or None if location else None
    if "in_person" not in offered:
        place = None
    elif not place:
        raise AvailabilityError("Say where the in-person consultations happen.")
    elif len(place) > LOCATION_MAX:
        raise AvailabilityError(f"The location can be at most {LOCATION_MAX} characters long.")
    cleaned_note = normalise.clean_line(note) or None if note else None
    if cleaned_note and len(cleaned_note) > NOTE_MAX:
        raise AvailabilityError(f"The note can be at most {NOTE_MAX} characters long.")
    exception = rows.AvailabilityException(
        staff_user_id=staff_user.id,
        kind=kind,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        kinds=",".join(offered) or None,
        location=place,
        note=cleaned_note,
        created_at=now,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(exception)
    db.session.flush()
    audit.record(
        "availability exception added",
        detail=f"{staff_user.email}: {describe_exception(exception)}",
        actor=actor,
    )
    return exception


def remove_exception(
    staff_user: StaffUser, exception_id: int, actor: StaffUser | None
) -> rows.AvailabilityException | None:
    """Remove one of the person's exceptions (audited); None when they have none by that id."""
    exception = db.session.execute(
        select(rows.AvailabilityException).where(
            rows.AvailabilityException.id == exception_id,
            rows.AvailabilityException.staff_user_id == staff_user.id,
        )
    ).scalar_one_or_none()
    if exception is None:
        return None
    audit.record(
        "availability exception removed",
        detail=f"{staff_user.email}: {describe_exception(exception)}",
        actor=actor,
    )
    db.session.delete(exception)
    db.session.flush()
    return exception


def describe_exception(exception: rows.AvailabilityException) -> str:
    """'Time off Mon 24 Dec 2026 09:00 – Fri 28 Dec 2026 17:00 (Holiday)', clinic time."""
    zone = clock.zone()
    start = exception.starts_at.astimezone(zone)
    end = exception.ends_at.astimezone(zone)
    same_day = start.date() == end.date()
    span = f"{start:%a %d %b %Y %H:%M} – " + (
        f"{end:%H:%M}" if same_day else f"{end:%a %d %b %Y %H:%M}"
    )
    words = rows.EXCEPTION_KINDS[exception.kind]
    if exception.kind == "extra":
        words += " (" + ", ".join(APPOINTMENT_KINDS[k].lower() for k in exception.kind_list) + ")"
    note = f" – {exception.note}" if exception.note else ""
    return f"{words} {span}{note}"


def hosts() -> list[StaffUser]:
    """Active staff who may hold consultations (admins and coordinators), by name."""
    return list(
        db.session.execute(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role != "editor")
            .order_by(StaffUser.name, StaffUser.id)
        ).scalars()
    )
