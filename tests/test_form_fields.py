"""A choice of several is a group of checkboxes that keeps every box ticked."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form

from clinic.form_fields import CheckboxesField

CHOICES = [("lead.created", "New lead"), ("lead.status", "Status changed"), ("a&b", "A & B")]


class EventsForm(Form):
    events = CheckboxesField("Events", choices=CHOICES)


def test_every_choice_is_a_checkbox_and_the_ticked_ones_stay_ticked():
    form = EventsForm(MultiDict([("events", "lead.created"), ("events", "a&b")]))
    assert form.validate()
    assert form.events.data == ["lead.created", "a&b"]
    boxes = [str(option()) for option in form.events]
    assert all('type="checkbox"' in box and 'name="events"' in box for box in boxes)
    assert ["checked" in box for box in boxes] == [True, False, True]
    assert 'value="a&amp;b"' in boxes[2]


def test_a_value_not_offered_is_refused():
    form = EventsForm(MultiDict([("events", "lead.deleted")]))
    assert not form.validate()
