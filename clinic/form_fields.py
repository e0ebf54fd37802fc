"""Fields WTForms has no ready-made widget for.

``CheckboxesField``: a choice of several shown as a group of checkboxes. A multiple-select list
box hides options below its fold and needs Ctrl-click to pick more than one.
"""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput


class CheckboxesField(SelectMultipleField):
    """Rendered by the shared form macro as a fieldset of checkboxes, like a radio group."""

    option_widget = CheckboxInput()
