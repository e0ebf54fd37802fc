"""Admin forms for the clinic's services and prices, and its clinicians."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic.content import catalogue
from clinic.content.catalogue import ClinicianDraft, ServiceDraft
from clinic.models.services import REGULATORY_STANDINGS, SERVICE_KINDS

STANDING_HINT = (
    "What patients see beside the price. A registered trial needs its NCT number; an "
    "investigational service outside a trial is always shown with FDA's consumer warning."
)


class ServiceForm(FlaskForm):
    name = StringField(
        "Name", validators=[InputRequired("Give the service a name."), Length(max=200)]
    )
    kind = RadioField(
        "What kind of service",
        choices=list(SERVICE_KINDS.items()),
        validators=[InputRequired("Choose whether this is the consultation or a programme.")],
    )
    summary = TextAreaField(
        "Short description",
        validators=[Length(max=500)],
        description="One or two sentences in plain words.",
    )
    included = TextAreaField(
        "What is included",
        validators=[Length(max=4000)],
        description="One item a line, e.g. “Review of your records” or “Two follow-up calls”.",
    )
    price_min = StringField(
        "Price in US dollars",
        description="For a price range, the lowest price. Numbers only, e.g. 350 or 4,000.",
    )
    price_max = StringField(
        "Highest price in US dollars, for a range",
        description="Leave blank for a single price.",
    )
    price_note = StringField(
        "About the price",
        validators=[Length(max=300)],
        description="e.g. “Depends on the number of injections; insurance does not cover it.”",
    )
    # The catalogue checks the chosen clinician exists (clinic.content.catalogue).
    given_by_clinician_id = SelectField("Given by", choices=[], validate_choice=False)
    given_by_text = StringField(
        "Or describe who gives it",
        validators=[Length(max=200)],
        description="For someone not on the clinicians page, e.g. “A registered nurse”.",
    )
    regulatory_standing = RadioField(
        "Regulatory standing",
        choices=list(REGULATORY_STANDINGS.items()),
        validators=[InputRequired("Choose the service's regulatory standing.")],
        description=STANDING_HINT,
    )
    nct_number = StringField(
        "ClinicalTrials.gov number (NCT)",
        validators=[Length(max=20)],
        description="Only for a registered trial: NCT and eight digits, e.g. NCT01234567.",
    )
    position = IntegerField(
        "Order on the page",
        default=100,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description="Lower numbers come first; the consultation is always listed first.",
    )
    published = BooleanField("Show this service on the public Services page")

    def set_clinicians(self, clinicians) -> None:
        self.given_by_clinician_id.choices = [("", "Not a listed clinician")] + [
            (str(person.id), f"{person.name}, {person.credentials}") for person in clinicians
        ]

    def money_field_errors(self) -> dict[str, str]:
        errors = {}
        for name in ("price_min", "price_max"):
            try:
                catalogue.parse_money(getattr(self, name).data)
            except ValueError as error:
                errors[name] = str(error)
        return errors

    def draft(self) -> ServiceDraft:
        """The entered values; call only once money_field_errors() found none."""
        chosen = self.given_by_clinician_id.data
        return ServiceDraft(
            name=self.name.data or "",
            kind=self.kind.data or "",
            summary=self.summary.data or "",
            included=self.included.data or "",
            price_min_cents=catalogue.parse_money(self.price_min.data),
            price_max_cents=catalogue.parse_money(self.price_max.data),
            price_note=self.price_note.data or "",
            given_by_clinician_id=int(chosen) if chosen and chosen.isdigit() else None,
            given_by_text=self.given_by_text.data or "",
            regulatory_standing=self.regulatory_standing.data or "",
            nct_number=self.nct_number.data or "",
            position=self.position.data if self.position.data is not None else 100,
            published=bool(self.published.data),
        )

    def fill_from(self, service) -> None:
        for name in (
            "name", "kind", "summary", "included", "price_note", "given_by_text",
            "regulatory_standing", "position", "published",
        ):  # fmt: skip
            getattr(self, name).data = getattr(service, name)
        self.nct_number.data = service.nct_number or ""
        self.given_by_clinician_id.data = str(service.given_by_clinician_id or "")
        self.price_min.data = _dollars(service.price_min_cents)
        self.price_max.data = _dollars(service.price_max_cents)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors = [message]


def _dollars(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, part = divmod(cents, 100)
    return f"{whole}" if not part else f"{whole}.{part:02d}"


class ClinicianForm(FlaskForm):
    name = StringField(
        "Name", validators=[InputRequired("Enter the clinician's name."), Length(max=200)]
    )
    credentials = StringField(
        "Credentials",
        validators=[InputRequired("Enter their credentials."), Length(max=120)],
        description="Degree and specialty, e.g. “MD, Rheumatology”.",
    )
    licence_state = StringField(
        "Licensing state",
        validators=[InputRequired("Enter the state that issued their license."), Length(max=60)],
        description="e.g. NY",
    )
    licence_number = StringField(
        "License number",
        validators=[InputRequired("Enter their license number."), Length(max=60)],
        description="Patients can check it on the state medical board's website.",
    )
    bio = TextAreaField(
        "Short biography",
        validators=[Length(max=4000)],
        description="A few sentences: training, experience, what they do at the clinic. "
        "Plain text; *emphasis* and links in Markdown work.",
    )
    staff_user_id = SelectField(
        "Their staff account",
        choices=[],
        validate_choice=False,
        description="Optional; never shown publicly.",
    )
    position = IntegerField(
        "Order on the page",
        default=100,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description="Lower numbers come first.",
    )
    published = BooleanField("Show this clinician on the public Clinicians page")

    def set_staff(self, people) -> None:
        self.staff_user_id.choices = [("", "No staff account")] + [
            (str(person.id), f"{person.name} ({person.email})") for person in people
        ]

    def draft(self) -> ClinicianDraft:
        chosen = self.staff_user_id.data
        return ClinicianDraft(
            name=self.name.data or "",
            credentials=self.credentials.data or "",
            licence_state=self.licence_state.data or "",
            licence_number=self.licence_number.data or "",
            bio=self.bio.data or "",
            position=self.position.data if self.position.data is not None else 100,
            published=bool(self.published.data),
            staff_user_id=int(chosen) if chosen and chosen.isdigit() else None,
        )

    def fill_from(self, clinician) -> None:
        for name in (
            "name", "credentials", "licence_state", "licence_number", "bio", "position",
            "published",
        ):  # fmt: skip
            getattr(self, name).data = getattr(clinician, name)
        self.staff_user_id.data = str(clinician.staff_user_id or "")

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors = [message]
