"""The form an admin makes a lead-capture API key with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from clinic.leads.api_keys import DEFAULT_RATE_LIMIT, NAME_MAX, RATE_LIMIT_MAX


class ApiKeyForm(FlaskForm):
    name = StringField(
        "Name",
        description="Who uses it, so you recognise it later: “Call-centre booking tool”.",
        validators=[
            InputRequired("Give the key a name."),
            Length(max=NAME_MAX, message=f"The name can be at most {NAME_MAX} characters."),
        ],
    )
    source_name = StringField(
        "Source shown on its leads",
        description="What the inbox shows as these leads' source. Leave it empty to use the name.",
        validators=[
            Length(max=NAME_MAX, message=f"The source can be at most {NAME_MAX} characters.")
        ],
    )
    rate_limit = StringField(
        "Rate limit",
        default=DEFAULT_RATE_LIMIT,
        description="Requests this key may send, such as 60/minute or 1000/day; more are "
        "answered 429 (Too Many Requests).",
        validators=[
            InputRequired("Give a rate limit such as 60/minute."),
            Length(max=RATE_LIMIT_MAX),
        ],
    )
