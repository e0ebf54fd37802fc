"""Forms for availability: a person's weekly hours (one row per weekday per kind), an exception
(time off or extra hours), and the clinic's booking rules (admins).

The weekly-hours form is built from the kinds and weekdays, one From and To field per row (and a
place for in person); the rules themselves (end after start, 5-minute steps, no overlaps) are
clinic.leads.availability's, and their refusals become field errors here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    IntegerField,
    RadioField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic import clock
from clinic.form_fields import CheckboxesField
from clinic.leads import availability
from clinic.leads.availability import (
    LOCATION_MAX,
    NOTE_MAX,
    SETTING_LIMITS,
    WEEKDAY_NAMES,
    AvailabilityError,
    BookingSettings,
    HoursRange,
)
from clinic.models import WeeklyHours
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.models.availability import EXCEPTION_KINDS

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _field_name(kind: str, weekday: int, part: str) -> str:
    return f"{kind}_{weekday}_{part}"


@dataclass(frozen=True)
class HoursRow:
    """One row of the weekly-hours table: a weekday of one kind."""

    kind: str
    weekday: int
    start: Field
    end: Field
    location: Field | None

    @property
    def day(self) -> str:
        return WEEKDAY_NAMES[self.weekday]

    @property
    def errors(self) -> list[str]:
        fields = [self.start, self.end] + ([self.location] if self.location else [])
        return [error for field in fields for error in field.errors]


class _HoursFormBase(FlaskForm):
    def rows(self, kind: str) -> Iterator[HoursRow]:
        for weekday in range(7):
            location = self[_field_name(kind, weekday, "location")] if kind == "in_person" else None
            yield HoursRow(
                kind,
                weekday,
                self[_field_name(kind, weekday, "from")],
                self[_field_name(kind, weekday, "to")],
                location,
            )

    def fill_from(self, hours: list[WeeklyHours]) -> None:
        """Show the stored hours (the first range of each weekday and kind)."""
        seen: set[tuple[str, int]] = set()
        for each in hours:
            if (each.kind, each.weekday) in seen or each.kind not in APPOINTMENT_KINDS:
                continue
            seen.add((each.kind, each.weekday))
            self[_field_name(each.kind, each.weekday, "from")].data = each.start_time
            self[_field_name(each.kind, each.weekday, "to")].data = each.end_time
            if each.kind == "in_person":
                self[_field_name(each.kind, each.weekday, "location")].data = each.location or ""

    def ranges(self) -> dict[str, list[HoursRange]] | None:
        """Each kind's ranges as the domain takes them; None (with field errors) when a row is
        half filled or the domain refuses it."""
        found: dict[str, list[HoursRange]] = {}
        valid = True
        for kind in APPOINTMENT_KINDS:
            found[kind] = []
            for row in self.rows(kind):
                if row.start.errors or row.end.errors:
                    valid = False
                    continue
                start, end = row.start.data, row.end.data
                place = row.location.data if row.location is not None else None
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    missing = row.start if start is None else row.end
                    missing.errors = [
                        *missing.errors,
                        f"{row.day} ({APPOINTMENT_KINDS[kind].lower()}): give both times, "
                        "or neither for no hours that day.",
                    ]
                    valid = False
                    continue
                hours = HoursRange(row.weekday, start, end, place)
                try:
                    availability.check_ranges(kind, [hours])
                except AvailabilityError as error:
                    target = (
                        row.location
                        if row.location is not None and "where" in str(error).lower()
                        else row.end
                        if "after the start" in str(error)
                        else row.start
                    )
                    target.errors = [*target.errors, _prefixed(str(error), kind)]
                    valid = False
                    continue
                found[kind].append(hours)
        return found if valid else None


def _prefixed(message: str, kind: str) -> str:
    day, sep, rest = message.partition(": ")
    if sep and day in WEEKDAY_NAMES:
        return f"{day} ({APPOINTMENT_KINDS[kind].lower()}): {rest}"
    return message


def _build_hours_form() -> type[_HoursFormBase]:
    fields: dict[str, Field] = {}
    for kind, label in APPOINTMENT_KINDS.items():
        for weekday, day in enumerate(WEEKDAY_NAMES):
            fields[_field_name(kind, weekday, "from")] = TimeField(
                f"{day}, {label.lower()}: from",
                format=TIME_FORMATS,
                validators=[Optional()],
            )
            fields[_field_name(kind, weekday, "to")] = TimeField(
                f"{day}, {label.lower()}: to",
                format=TIME_FORMATS,
                validators=[Optional()],
            )
            if kind == "in_person":
                fields[_field_name(kind, weekday, "location")] = StringField(
                    f"{day}, in person: where",
                    validators=[
                        Optional(),
                        Length(
                            max=LOCATION_MAX,
                            message=f"The location can be at most {LOCATION_MAX} characters.",
                        ),
                    ],
                )
    return type("WeeklyHoursForm", (_HoursFormBase,), fields)


WeeklyHoursForm = _build_hours_form()


class ExceptionForm(FlaskForm):
    """Time off, or a one-off stretch of extra hours."""

    kind = RadioField(
        "What is it?",
        choices=list(EXCEPTION_KINDS.items()),
        default="off",
        validators=[InputRequired(message="Choose time off or extra hours.")],
    )
    starts_on = DateField("From date", validators=[InputRequired(message="Give the first day.")])
    starts_at = TimeField(
        "From time",
        format=TIME_FORMATS,
        default=time(0),
        validators=[InputRequired(message="Give the start time.")],
    )
    ends_on = DateField("To date", validators=[InputRequired(message="Give the last day.")])
    ends_at = TimeField(
        "To time",
        format=TIME_FORMATS,
        default=time(23, 55),
        validators=[InputRequired(message="Give the end time.")],
    )
    kinds = CheckboxesField(
        "Extra hours for",
        choices=list(APPOINTMENT_KINDS.items()),
        description="Only for extra hours.",
    )
    location = StringField(
        "Where (in person)",
        validators=[
            Optional(),
            Length(max=LOCATION_MAX, message=f"At most {LOCATION_MAX} characters."),
        ],
    )
    note = StringField(
        "Note",
        description="For staff only, such as “Holiday”. Never shown to patients.",
        validators=[Optional(), Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = clock.zone().key
        self.starts_at.description = f"Clinic time ({zone})."
        self.ends_at.description = f"Clinic time ({zone})."

    def instants(self) -> tuple[datetime, datetime]:
        return _instant(self.starts_on.data, self.starts_at.data), _instant(
            self.ends_on.data, self.ends_at.data
        )


def _instant(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=clock.zone()).astimezone(UTC)


def _setting(label: str, name: str, description: str) -> IntegerField:
    low, high = SETTING_LIMITS[name]
    return IntegerField(
        label,
        description=description,
        validators=[
            InputRequired(message=f"Give a number from {low} to {high}."),
            NumberRange(min=low, max=high, message=f"Give a number from {low} to {high}."),
        ],
    )


class BookingSettingsForm(FlaskForm):
    slot_minutes = _setting(
        "Slot length (minutes)", "slot_minutes", "How long each consultation patients book lasts."
    )
    buffer_minutes = _setting(
        "Buffer between slots (minutes)",
        "buffer_minutes",
        "Free time kept after each consultation, for notes and the next call.",
    )
    horizon_days = _setting(
        "Booking horizon (days)",
        "horizon_days",
        "How far ahead patients may book, counted in calendar days from today.",
    )
    notice_business_hours = _setting(
        "Minimum notice (business hours)",
        "notice_business_hours",
        "How soon a patient may book, counted in the clinic's opening hours: with 4 and "
        "hours of 9 am to 5 pm, a patient booking on Friday at 4 pm is offered Monday from noon.",
    )
    link_days = _setting(
        "Booking links work for (days)",
        "link_days",
        "How long the booking link sent to a patient keeps working.",
    )

    def fill_from(self, settings: BookingSettings) -> None:
        for name in SETTING_LIMITS:
            self[name].data = getattr(settings, name)

    def settings(self) -> BookingSettings:
        return BookingSettings(**{name: self[name].data for name in SETTING_LIMITS})
