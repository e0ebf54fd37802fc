"""The reports' filter row: a GET form, so every report view is a bookmarkable address."""

from __future__ import annotations

from wtforms import DateField, Form, SelectField
from wtforms.validators import Optional

from clinic.reports.periods import PRESETS

CUSTOM = "custom"


class ReportFilterForm(Form):
    period = SelectField(
        "Period",
        choices=list(PRESETS.items()) + [(CUSTOM, "Dates below")],
        default="last_30_days",
        description="Leads are counted by the day they first wrote in (clinic time).",
    )
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    condition = SelectField("Condition", default="")
