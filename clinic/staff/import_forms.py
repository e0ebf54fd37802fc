"""Forms of the lead import: the upload, the column mapping, and applying a saved mapping."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from clinic.leads.importing.mapping import DATE_ORDERS, FIELDS, IGNORE
from clinic.leads.importing.reading import DELIMITERS, ENCODINGS

AUTOMATIC = ("", "Find out from the file")


class UploadForm(FlaskForm):
    file = FileField(
        "Spreadsheet file",
        validators=[FileRequired("Choose the file to import.")],
    )
    source = StringField(
        "Where these leads came from",
        description="Their lead source in reports, for rows that don't name one "
        "(such as “Old CRM” or “Spring health fair”). Leave empty to use the file's name.",
        validators=[Optional(), Length(max=120, message="Keep it under 120 characters.")],
    )
    encoding = SelectField(
        "Text encoding (CSV only)",
        description="Change it only when the preview shows letters wrongly.",
        choices=[AUTOMATIC, *ENCODINGS.items()],
        default="",
    )
    delimiter = SelectField(
        "Separator (CSV only)",
        choices=[AUTOMATIC, *((d, name.capitalize()) for d, name in DELIMITERS.items())],
        default="",
    )


FIELD_CHOICES = [(IGNORE, "Leave out"), *FIELDS.items()]


class MappingForm(FlaskForm):
    """A select per column of the file (``column_N``, added by :func:`mapping_form`)."""

    date_order = SelectField("Dates in this file are written", choices=list(DATE_ORDERS.items()))
    save_as = StringField(
        "Save this mapping as",
        description="Optional: a name to choose it by for the next file from the same system.",
        validators=[Optional(), Length(max=100, message="Keep the name under 100 characters.")],
    )


def mapping_form(headers: list[str], **kwargs) -> MappingForm:
    """A mapping form with a select for each of these columns."""

    class ColumnsForm(MappingForm):
        pass

    for index, header in enumerate(headers):
        setattr(
            ColumnsForm,
            f"column_{index}",
            SelectField(header, choices=FIELD_CHOICES, default=IGNORE),
        )
    return ColumnsForm(**kwargs)


class SavedMappingForm(FlaskForm):
    saved = SelectField("Use a saved mapping", coerce=int, choices=[])
