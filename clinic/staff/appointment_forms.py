"""Forms for a lead's consultations: the fields that describe one, booking, moving, settling.

The same fields ask for the consultation wherever a lead moves to "consult booked" (the
one-step contact form, the status form, the booking form), so they live in one mixin. Dates and
times are the clinic's wall clock; the view turns them into an instant with clinic.clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from clinic import clock
from clinic.leads.actions import NOTE_MAX
from clinic.leads.appointments import (
    DURATION_MAX,
    DURATION_MIN,
    LOCATION_MAX,
    SETTLE_OUTCOMES,
    AppointmentDetails,
)
from clinic.models import StaffUser
from clinic.models.appointments import APPOINTMENT_KINDS

DEFAULT_DURATION = 30
# Browsers send "14:30", or "14:30:00" when a step in seconds is set.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
NO_KIND = ("", "Choose…")
NO_HOST = ("", "Not decided yet")


def host_choices(staff: list[StaffUser]) -> list[tuple[str, str]]:
    """Who can hold a consultation: nobody yet, or an active account."""
    return [NO_HOST] + [(str(user.id), user.name) for user in staff if user.active]


def clinic_instant(on: date, at: time) -> datetime:
    """A clinic wall-clock date and time as the UTC instant it names."""
    return datetime.combine(on, at, tzinfo=clock.zone()).astimezone(UTC)


class AppointmentFieldsMixin:
    """The consultation's date, time, length, kind, place, host and a staff note.

    Each field checks its own format; whether they are needed at all depends on the form
    (booking always, a status change only towards "consult booked"), so the form calls
    :meth:`require_appointment` when they are.
    """

    appointment_on = DateField("Consultation date", validators=[Optional()])
    appointment_at = TimeField("Start time", format=TIME_FORMATS, validators=[Optional()])
    duration_minutes = IntegerField(
        "Length in minutes",
        default=DEFAULT_DURATION,
        validators=[
            Optional(),
            NumberRange(
                min=DURATION_MIN,
                max=DURATION_MAX,
                message=f"Give a length from {DURATION_MIN} to {DURATION_MAX} minutes.",
            ),
        ],
    )
    kind = SelectField(
        "How it happens",
        choices=[NO_KIND] + list(APPOINTMENT_KINDS.items()),
        default="",
        invalid_choice_message="Choose phone, video or in person.",
    )
    location = StringField(
        "Where",
        description="An address or room, a video link, or the number to call.",
        validators=[
            Optional(),
            Length(
                max=LOCATION_MAX,
                message=f"The location can be at most {LOCATION_MAX} characters long.",
            ),
        ],
    )
    host = SelectField("Who holds it", default="")
    appointment_note = TextAreaField(
        "Arrangements",
        description="For staff only: interpreter, parking, what to prepare.",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"A note can be at most {NOTE_MAX} characters long."),
        ],
    )

    def describe_clinic_time(self) -> None:
        """Say on the time field which clock it reads: the clinic's, whatever the browser's."""
        self.appointment_at.description = f"Clinic time ({clock.zone().key})."

    def require_appointment(self) -> bool:
        """Check the fields a booking can't do without; False (with errors) when one is missing.

        Kind is checked here rather than by the field: the blank choice is valid until a
        consultation is asked for.
        """
        missing = [
            (self.appointment_on, "Give the consultation's date."),
            (self.appointment_at, "Give the consultation's start time."),
            (self.duration_minutes, "Give the consultation's length in minutes."),
            (self.kind, "Choose phone, video or in person."),
        ]
        complete = True
        for field, message in missing:
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                complete = False
        if not complete or self.appointment_errors():
            return False
        if clinic_instant(self.appointment_on.data, self.appointment_at.data) <= clock.now():
            self.appointment_at.errors = [
                *self.appointment_at.errors,
                "That time has passed; choose a later date or time.",
            ]
            return False
        return True

    def appointment_errors(self) -> bool:
        fields = (
            self.appointment_on,
            self.appointment_at,
            self.duration_minutes,
            self.kind,
            self.location,
            self.host,
            self.appointment_note,
        )
        return any(field.errors for field in fields)

    def appointment_details(self) -> AppointmentDetails:
        """The consultation as the domain takes it (call after :meth:`require_appointment`)."""
        return AppointmentDetails(
            starts_at=clinic_instant(self.appointment_on.data, self.appointment_at.data),
            duration_minutes=self.duration_minutes.data,
            kind=self.kind.data,
            location=self.location.data or None,
            host_id=int(self.host.data) if self.host.data else None,
            note=self.appointment_note.data or None,
        )

    def fill_from(self, appointment) -> None:
        """Show an existing consultation in the fields (to move or change it)."""
        start = appointment.starts_at.astimezone(clock.zone())
        self.appointment_on.data = start.date()
        self.appointment_at.data = start.time().replace(second=0, microsecond=0)
        self.duration_minutes.data = appointment.duration_minutes
        self.kind.data = appointment.kind
        self.location.data = appointment.location or ""
        self.host.data = str(appointment.host_id or "")
        self.appointment_note.data = appointment.note or ""


class AppointmentForm(AppointmentFieldsMixin, FlaskForm):
    """Book a consultation, or move or change a booked one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe_clinic_time()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.require_appointment() and valid


class SettleAppointmentForm(FlaskForm):
    """Attended, no-show or cancelled: one small form per button."""

    outcome = HiddenField(validators=[InputRequired(), Length(max=20)])

    def validate_outcome(self, field):
        if field.data not in SETTLE_OUTCOMES:
            raise ValidationError("Choose attended, no-show or cancelled.")
