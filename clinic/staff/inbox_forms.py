"""The inbox's filter row."""

from __future__ import annotations

from wtforms import DateField, Form, SearchField, SelectField, StringField
from wtforms.validators import Optional

from clinic.leads.inbox import SORTS, VIEWS


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
