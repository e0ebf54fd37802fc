"""The inbox's bulk changes: assign the ticked leads, or move them to another stage."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import ValidationError

from clinic.leads.pipeline import LOST_REASONS, STATUS_LABELS
from clinic.staff.lead_forms import NO_REASON, LostReasonMixin


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
