"""Forms for working leads: the inbox filters, bulk changes, and the actions on a lead record.

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
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from clinic import clock
from clinic.leads.actions import NOTE_MAX
from clinic.leads.inbox import SORTS, VIEWS
from clinic.leads.pipeline import CONTACT_CHANNELS, CONTACT_OUTCOMES, LOST_REASONS, STATUS_LABELS
from clinic.models.base import ID_MAX

UNASSIGNED = ("", "Unassigned")
NO_REASON = ("", "Choose a reason (if lost)")


class InboxFilterForm(Form):
    """The filter row: a GET form whose values are the bookmarkable query string."""

    q = SearchField("Search", description="Name, email, phone or words from the message")
    status = SelectField("Status")
    condition = SelectField("Condition")
    owner = SelectField("Owner")
    source = StringField("Source", description="As shown in the Source column")
    created_from = DateField("Received from", validators=[Optional()])
    created_to = DateField("Received to", validators=[Optional()])
    view = SelectField("Show", choices=[("", "Everything")] + list(VIEWS.items()))
    sort = SelectField("Sort", choices=list(SORTS.items()))


class LostReasonMixin:
    def validate_lost_reason(self, field):
        if self.status.data == "lost" and not field.data:
            raise ValidationError("Choose why the lead was lost.")


class BulkForm(LostReasonMixin, FlaskForm):
    """Change the leads ticked in the inbox: assign them, or move them to another stage."""

    lead_ids = SelectMultipleField("Leads", coerce=int, validate_choice=False)
    owner = SelectField("Assign to", default="")
    # Checked by the pipeline rules when "Change status" is pressed, ignored for "Assign".
    status = SelectField("Move to", choices=list(STATUS_LABELS.items()), validate_choice=False)
    lost_reason = SelectField(
        "Reason if lost",
        choices=[NO_REASON] + list(LOST_REASONS.items()),
        validate_choice=False,
    )
    back = HiddenField()
    assign = SubmitField("Assign selected")
    change_status = SubmitField("Change status of selected")

    def validate_lead_ids(self, field):
        if not field.data:
            raise ValidationError("Tick at least one lead first.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.assign.data or self.change_status.data):
            self.form_errors.append("Press “Assign selected” or “Change status of selected”.")
            return False
        return valid

    def validate_lost_reason(self, field):
        if self.change_status.data:
            super().validate_lost_reason(field)


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
