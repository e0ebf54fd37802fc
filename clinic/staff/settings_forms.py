"""The clinic's profile form (admins): what patients read about the clinic on every page.

The checks themselves (time zone, links, phone, logo bytes) live in clinic.profile; the form
turns their refusals into field errors.
"""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, Field, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from clinic import profile


def _stripped(value: str | None) -> str:
    return (value or "").strip()


def _checked(check, value: str, *args) -> str:
    try:
        return check(value, *args)
    except profile.ProfileError as error:
        raise ValidationError(str(error)) from error


def _link(label: str, page: str) -> URLField:
    """An optional address of one of the clinic's pages elsewhere; ``page`` names it in errors."""

    def http_link(form: FlaskForm, field: Field) -> None:
        try:
            field.data = profile.check_link(field.data)
        except profile.ProfileError as error:
            raise ValidationError(
                f"Enter the full address of {page}, starting with https://."
            ) from error

    return URLField(
        label,
        filters=[_stripped],
        validators=[
            Length(max=500, message=f"The address of {page} is too long (500 characters at most)."),
            http_link,
        ],
    )


def zone_choices(current: str) -> dict[str, list[tuple[str, str]]]:
    """The common US zones first, then every zone; the saved one stays choosable even when it
    is an old alias (US/Eastern) the full list leaves out."""
    common = [(name, f"{label} — {name}") for name, label in profile.COMMON_ZONES]
    listed = {name for name, _ in common}
    # Each zone once: a value listed twice would be shown selected in the wrong group.
    others = [(name, name) for name in profile.zone_names() if name not in listed]
    if current and current not in listed and current not in profile.zone_names():
        common.insert(0, (current, f"{current} (as set now)"))
    return {"Common in the United States": common, "All time zones": others}


class ProfileForm(FlaskForm):
    # Identity
    name = StringField(
        "Clinic name",
        filters=[_stripped],
        validators=[
            DataRequired("Enter the clinic's name."),
            Length(max=200, message="The name can be at most 200 characters."),
        ],
        description="As patients see it at the top of every page, in emails and in search results.",
    )
    # Contact
    phone = StringField(
        "Phone number",
        filters=[_stripped],
        validators=[
            DataRequired("Enter the clinic's phone number."),
            Length(max=40, message="The phone number can be at most 40 characters."),
        ],
        description="Written as patients should read it, such as +1 555 010 0199.",
    )
    email = EmailField(
        "Email address",
        filters=[_stripped],
        validators=[Length(max=254, message="The email address is too long.")],
        description="Shown in the footer, for patients who prefer to write.",
    )
    # Address
    street = StringField(
        "Street address",
        filters=[_stripped],
        validators=[Length(max=200, message="The street address can be at most 200 characters.")],
    )
    locality = StringField(
        "City or town",
        filters=[_stripped],
        validators=[Length(max=100, message="The city can be at most 100 characters.")],
    )
    region = StringField(
        "State",
        filters=[_stripped],
        validators=[Length(max=100, message="The state can be at most 100 characters.")],
    )
    postal_code = StringField(
        "ZIP code",
        filters=[_stripped],
        validators=[Length(max=20, message="The ZIP code can be at most 20 characters.")],
    )
    country = StringField(
        "Country code",
        filters=[lambda value: _stripped(value).upper()],
        validators=[DataRequired("Enter the country's two-letter code, such as US.")],
        description="Two letters, such as US.",
    )
    # Opening hours and time zone
    hours = StringField(
        "Opening hours",
        filters=[_stripped],
        validators=[
            DataRequired("Enter the clinic's opening hours."),
            Length(max=200, message="The opening hours can be at most 200 characters."),
        ],
        description="In plain words, such as Monday to Friday, 9 am to 5 pm.",
    )
    timezone = SelectField(
        "Time zone",
        validate_choice=False,
        description="Every date and time the site and staff pages show is in this zone, and "
        "the business day follows it.",
    )
    # Logo
    logo = FileField(
        "New logo",
        description=f"A PNG, JPEG or WebP image of at most {profile.LOGO_MAX_BYTES // 1024} KB, "
        "shown next to the clinic's name at the top of public pages.",
    )
    remove_logo = BooleanField("Remove the logo", validators=[Optional()])
    # Social links
    facebook_url = _link("Facebook", "the clinic's Facebook page")
    instagram_url = _link("Instagram", "the clinic's Instagram page")
    youtube_url = _link("YouTube", "the clinic's YouTube channel")
    linkedin_url = _link("LinkedIn", "the clinic's LinkedIn page")
    x_url = _link("X (Twitter)", "the clinic's X (Twitter) page")
    other_url = _link("Other page", "the other page")
    other_label = StringField(
        "Name of the other page",
        filters=[_stripped],
        validators=[Length(max=60, message="The name can be at most 60 characters.")],
        description="As the footer should show it, such as Google reviews.",
    )

    new_logo: profile.Logo | None = None

    def __init__(self, *args, current_zone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices(current_zone)

    def validate_phone(self, field: Field) -> None:
        field.data = _checked(profile.check_phone, field.data, self._region())

    def validate_email(self, field: Field) -> None:
        field.data = _checked(profile.check_email, field.data)

    def validate_country(self, field: Field) -> None:
        if not (len(field.data) == 2 and field.data.isascii() and field.data.isalpha()):
            raise ValidationError("Enter the country's two-letter code, such as US.")

    def validate_timezone(self, field: Field) -> None:
        field.data = _checked(profile.check_timezone, field.data or "")

    def validate_logo(self, field: Field) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            return
        # One byte more than allowed is enough to know it is too large.
        data = upload.stream.read(profile.LOGO_MAX_BYTES + 1)
        if not data:
            raise ValidationError("The chosen logo file is empty.")
        self.new_logo = _checked(profile.read_logo, data)

    def validate_other_label(self, field: Field) -> None:
        if self.other_url.data and not field.data:
            raise ValidationError("Give the other page a name, such as Google reviews.")

    def values(self) -> dict[str, str]:
        """The settings as clinic.profile.save_profile takes them."""
        return {name: getattr(self, name).data or "" for name in profile.TEXT_FIELDS}

    @staticmethod
    def _region() -> str:
        return current_app.config["CLINIC_PHONE_REGION"]
