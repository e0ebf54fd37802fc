"""Bulk changes: the inbox's (assign the ticked leads, or move them to another stage), dealing
out the leads waiting without an owner, and undoing the last of them."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from clinic.leads.pipeline import LOST_REASONS, STATUS_LABELS
from clinic.models.base import ID_MAX
from clinic.staff.lead_forms import NO_REASON, LostReasonMixin

BOOKED = "consult_booked"


class BulkForm(LostReasonMixin, FlaskForm):
    """Change the leads ticked in the inbox: assign them, or move them to another stage.

    Sent twice: from the inbox, to see what would happen, then from the confirmation page,
    which sends the same fields back (hidden) with the leads that would change.
    """

    lead_ids = SelectMultipleField("Leads", coerce=int, validate_choice=False)
    owner = SelectField("Assign to", default="")
    # Checked by the pipeline rules when "Change status" is pressed, ignored for "Assign".
    # "Consult booked" is not offered: each lead's consultation is booked on its own record.
    status = SelectField(
        "Move to",
        choices=[(code, label) for code, label in STATUS_LABELS.items() if code != BOOKED],
        validate_choice=False,
    )
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

    def validate_status(self, field):
        if self.change_status.data and field.data == BOOKED:
            raise ValidationError(
                "“Consult booked” needs each lead's consultation: book it on the lead's record."
            )

    def validate_lost_reason(self, field):
        if self.change_status.data:
            super().validate_lost_reason(field)


class WaitingLeadsForm(FlaskForm):
    """“Assign them now” on the automation page, and its confirmation: ``up_to_id`` is the
    newest lead the confirmation page counted, so no lead written since is dealt unseen."""

    up_to_id = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=ID_MAX)]
    )


class UndoForm(FlaskForm):
    """The Undo button of the last bulk change; ``back`` is the inbox view it was made from."""

    back = HiddenField()
