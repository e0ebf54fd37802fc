"""Forms for the actions on a lead record (the inbox's are in inbox_forms and bulk_forms).

The lead record shows several forms at once, so each has a prefix: field ids stay unique and a
failed form can be shown again, with its error and what was typed, beside the others. Forms
whose rules depend on the lead (its stage, its follow-up) take it as ``lead=``.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from clinic import clock
from clinic.leads.actions import NOTE_MAX
from clinic.leads.pipeline import (
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    LOST_REASONS,
    OUTCOMES_BY_CHANNEL,
    STATUS_LABELS,
)
from clinic.models import Lead
from clinic.models.base import ID_MAX
from clinic.staff.appointment_forms import TIME_FORMATS, AppointmentFieldsMixin

UNASSIGNED = ("", "Unassigned")
BOOKED = "consult_booked"
NO_REASON = ("", "Choose a reason (if lost)")


class LostReasonMixin:
    def validate_lost_reason(self, field):
        if self.status.data == "lost" and not field.data:
            raise ValidationError("Choose why the lead was lost.")


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Note",
        validators=[
            InputRequired("Write the note before adding it."),
            Length(max=NOTE_MAX, message=f"A note can be at most {NOTE_MAX} characters long."),
        ],
    )


class FollowUpFieldsMixin:
    """The next follow-up: a day, and optionally a time that day on the clinic's clock.

    A past day is refused, also when it is the one already set: a follow-up that is overdue is
    moved on or cleared, not kept by saving the form again.
    """

    follow_up_on = DateField(
        "Next follow-up",
        validators=[Optional()],
        description="Leave empty to clear it.",
    )
    follow_up_time = TimeField(
        "Time",
        format=TIME_FORMATS,
        validators=[Optional()],
    )

    def describe_follow_up(self, lead: Lead | None) -> None:
        """Say which clock the time reads, and how late the lead's current follow-up is."""
        self.follow_up_time.description = f"Clinic time ({clock.zone().key}); empty: any time."
        late = (clock.today() - lead.follow_up_on).days if lead and lead.follow_up_on else 0
        if late > 0:
            days = "1 day" if late == 1 else f"{late} days"
            self.follow_up_on.description = f"Overdue {days}: choose the next date, or clear it."

    def validate_follow_up_on(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError("Choose today or a later date for the next follow-up.")

    def validate_follow_up_time(self, field):
        if field.data and not self.follow_up_on.data and not self.follow_up_on.errors:
            raise ValidationError(
                "Choose the follow-up day as well as its time, or clear the time."
            )


class StageFieldsMixin(LostReasonMixin, AppointmentFieldsMixin):
    """The lead's next stage, with the reason when lost and the consultation when it moves to
    "consult booked" (set ``lead_status`` to the lead's stage before validating)."""

    status = SelectField("Status", choices=list(STATUS_LABELS.items()))
    lost_reason = SelectField(
        "Reason if lost",
        choices=[NO_REASON] + list(LOST_REASONS.items()),
        default="",
        description="Needed when the lead is lost.",
    )
    lead_status: str | None = None

    def asks_for_consultation(self) -> bool:
        """Its date or time was typed: the person means to book one."""
        return bool(self.appointment_on.data or self.appointment_at.data)

    def books_consultation(self) -> bool:
        """The change books a consultation: the lead moves to "consult booked" (which needs
        one), or stays there and another is given."""
        if self.status.data != BOOKED:
            return False
        return self.lead_status != BOOKED or self.asks_for_consultation()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.books_consultation():
            return self.require_appointment() and valid
        if self.asks_for_consultation() and not self.status.errors:
            self.status.errors = [
                *self.status.errors,
                "Choose “Consult booked” to book the consultation, or clear its date and time.",
            ]
            return False
        return valid


class ContactStepForm(StageFieldsMixin, FollowUpFieldsMixin, FlaskForm):
    """One contact with the person and what happens next, recorded in one step.

    No outcome is chosen in advance, so a careless click can't record "Reached"; the outcomes
    offered depend on the channel (pipeline.OUTCOMES_BY_CHANNEL), checked here and again by the
    domain. The consultation's fields count only when the lead moves to "consult booked".
    """

    channel = RadioField(
        "How you contacted them",
        choices=list(CONTACT_CHANNELS.items()),
        invalid_choice_message="Choose how you contacted the person.",
    )
    outcome = RadioField(
        "What happened",
        choices=list(CONTACT_OUTCOMES.items()),
        invalid_choice_message="Choose what happened.",
    )
    note = TextAreaField(
        "Note",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"A note can be at most {NOTE_MAX} characters long."),
        ],
    )

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_status = lead.status
        self.describe_clinic_time()
        self.describe_follow_up(lead)

    def validate_outcome(self, field):
        allowed = OUTCOMES_BY_CHANNEL.get(self.channel.data or "")
        if allowed and field.data not in allowed:
            words = ", ".join(CONTACT_OUTCOMES[outcome].lower() for outcome in allowed)
            channel = CONTACT_CHANNELS[self.channel.data].lower()
            raise ValidationError(f"Choose what happened with the {channel}: {words}.")


class StatusForm(StageFieldsMixin, FlaskForm):
    """Move the lead to another stage; towards "consult booked" it asks for the consultation."""

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_status = lead.status
        self.describe_clinic_time()


class OwnerForm(FlaskForm):
    owner = SelectField("Owner")


class FollowUpForm(FollowUpFieldsMixin, FlaskForm):
    def __init__(self, *args, lead: Lead | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe_follow_up(lead)


class MergeLookupForm(Form):
    """Asks which lead to merge in; it only opens the confirmation page, so it is a GET form."""

    other = IntegerField(
        "Number of the lead to merge into this one",
        validators=[
            InputRequired("Enter the other lead's number."),
            NumberRange(min=1, max=ID_MAX, message="Enter the other lead's number."),
        ],
        description="The other lead's number is in its address: /staff/leads/<number>.",
    )


class MergeForm(FlaskForm):
    other = HiddenField(validators=[InputRequired()])


class NotSamePersonForm(FlaskForm):
    """Dismiss the "possible same person" mark between this lead and the ``other`` one."""

    other = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(), NumberRange(min=1, max=ID_MAX)],
    )
