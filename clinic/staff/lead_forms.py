"""Forms for the actions on a lead record (the inbox's are in inbox_forms and bulk_forms).

The lead record shows several forms at once, so each has a prefix: field ids stay unique and a
failed form can be shown again, with its error and what was typed, beside the others.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from clinic import clock
from clinic.leads.actions import NOTE_MAX
from clinic.leads.pipeline import CONTACT_CHANNELS, CONTACT_OUTCOMES, LOST_REASONS, STATUS_LABELS
from clinic.models.base import ID_MAX

UNASSIGNED = ("", "Unassigned")
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


class ContactForm(FlaskForm):
    channel = SelectField("How", choices=list(CONTACT_CHANNELS.items()))
    outcome = SelectField("Outcome", choices=list(CONTACT_OUTCOMES.items()))
    body = TextAreaField(
        "Note (optional)",
        validators=[Optional(), Length(max=NOTE_MAX)],
    )


class StatusForm(LostReasonMixin, FlaskForm):
    status = SelectField("Status", choices=list(STATUS_LABELS.items()))
    lost_reason = SelectField(
        "Reason if lost",
        choices=[NO_REASON] + list(LOST_REASONS.items()),
        description="Needed when the lead is lost.",
    )


class OwnerForm(FlaskForm):
    owner = SelectField("Owner")


class FollowUpForm(FlaskForm):
    follow_up_on = DateField(
        "Next follow-up",
        validators=[Optional()],
        description="Leave empty to clear it.",
    )

    def validate_follow_up_on(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError("Choose today or a later date for the next follow-up.")


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
