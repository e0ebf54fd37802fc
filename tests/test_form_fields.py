"""The quick select widget writes exactly the markup WTForms' own select writes."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms import SelectField as StockSelectField

from clinic.form_fields import SelectField

CHOICES = [
    ("", "Everyone"),
    ("7", 'Zoë "Z" <O\'Neil> & Co'),
    ("a&b", "A & B"),
    ("none", ""),
]


def _forms(**field_options):
    class Quick(Form):
        pick = SelectField("Pick", **field_options)

    class Stock(Form):
        pick = StockSelectField("Pick", **field_options)

    return Quick, Stock


@pytest.mark.parametrize("sent", [None, "7", "a&b", "none", "missing"])
def test_options_render_exactly_as_the_stock_widget(sent):
    quick_form, stock_form = _forms(choices=CHOICES)
    data = MultiDict({"pick": sent} if sent is not None else {})
    quick, stock = quick_form(data), stock_form(data)
    rendered = str(quick.pick(class_="field__input", **{"aria-invalid": "true"}))
    assert rendered == str(stock.pick(class_="field__input", **{"aria-invalid": "true"}))
    assert "&#34;Z&#34; &lt;O&#39;Neil&gt; &amp; Co</option>" in rendered
    if sent == "7":
        assert '<option selected value="7">' in rendered


def test_true_false_values_and_per_option_attributes_render_as_the_stock_widget():
    quick_form, stock_form = _forms(choices=[(True, "Yes"), (False, "No")], coerce=bool)
    assert str(quick_form().pick()) == str(stock_form().pick())
    choices = [("a", "A", {"disabled": True}), ("b", "B", {})]
    quick_form, stock_form = _forms(choices=choices)
    rendered = str(quick_form().pick())
    assert rendered == str(stock_form().pick())
    assert '<option disabled value="a">A</option>' in rendered
