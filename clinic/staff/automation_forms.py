"""Admin forms for automation: assignment rules, webhook endpoints, saved reply templates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Length

from clinic.automation.reply_templates import BODY_MAX, CHANNELS, SUBJECT_MAX, TITLE_MAX
from clinic.automation.webhooks import EVENT_TYPES
from clinic.form_fields import CheckboxesField


class RuleForm(FlaskForm):
    condition = SelectField("Condition", validators=[InputRequired("Choose a condition.")])
    members = CheckboxesField(
        "Coordinators who take these leads",
        coerce=int,
        description="New leads about this condition go round-robin among these people.",
    )
    active = BooleanField("Rule in use", default=True)


class WebhookForm(FlaskForm):
    name = StringField(
        "Name", validators=[InputRequired("Give the endpoint a name."), Length(max=120)]
    )
    url = URLField(
        "Address (URL)",
        validators=[InputRequired("Enter the address events are sent to."), Length(max=500)],
        description="An https:// address on the public internet.",
    )
    events = CheckboxesField("Events", choices=list(EVENT_TYPES.items()))
    include_personal_data = BooleanField(
        "Include personal data (name, email, phone, condition)",
        description="Leave unticked unless the receiving system is covered by your privacy "
        "agreements: these are patients' health details.",
    )
    active = BooleanField("Send events to this endpoint", default=True)


class ReplyTemplateForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired("Give the template a title."), Length(max=TITLE_MAX)]
    )
    channel = SelectField("For", choices=list(CHANNELS.items()))
    subject = StringField(
        "Email subject", validators=[Length(max=SUBJECT_MAX)], description="Not used for texts."
    )
    body = TextAreaField(
        "Text", validators=[InputRequired("Write the text of the reply."), Length(max=BODY_MAX)]
    )
    active = BooleanField("Offer this template to coordinators", default=True)
