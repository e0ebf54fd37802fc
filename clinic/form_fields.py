"""Fields WTForms has no ready-made widget for.

``SelectField``: options written directly instead of attribute by attribute. The stock widget
builds each ``<option>`` through ``html_params`` (sorting and escaping a dict of attributes per
option). The inbox renders dozens of options on every page view (filters and bulk actions),
so that cost shows in every inbox page. The markup is the same.

``CheckboxesField``: a choice of several shown as a group of checkboxes. A multiple-select list
box hides options below its fold and needs Ctrl-click to pick more than one.
"""

from __future__ import annotations

from markupsafe import Markup
from wtforms import SelectField as _SelectField
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, Select

# Markup.format escapes what it fills in (the value and the label), as html_params does.
_OPTION = Markup('<option value="{}">{}</option>')
_SELECTED_OPTION = Markup('<option selected value="{}">{}</option>')


class QuickSelect(Select):
    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        template = _SELECTED_OPTION if choice.selected else _OPTION
        return template.format(value, choice.label or choice.value)


class SelectField(_SelectField):
    widget = QuickSelect()


class CheckboxesField(SelectMultipleField):
    """Rendered by the shared form macro as a fieldset of checkboxes, like a radio group."""

    option_widget = CheckboxInput()
