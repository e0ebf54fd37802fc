"""The inquiry form. Server-side validation here is the authority; the browser's is a courtesy."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from clinic.leads import conditions, intake, normalise
from clinic.leads.consent import CONSENT_TEXT, SMS_CONSENT_TEXT
from clinic.public.email_errors import email_error

PREFERRED_CONTACT = [("phone", "Phone call"), ("email", "Email"), ("sms", "Text message")]
# The ways of answering that need a phone number, and what a patient is told when they chose
# one and gave no number.
PHONE_NEEDED = {
    "phone": "You chose a phone call, so we need your phone number. Please enter it, or choose "
    "email instead.",
    "sms": "You chose text messages, so we need your mobile number. Please enter it, or choose "
    "email instead.",
}
BEST_TIME = [
    ("any", "Any time"),
    ("morning", "Morning (9 am – 12 pm)"),
    ("afternoon", "Afternoon (12 – 5 pm)"),
    ("evening", "Early evening (5 – 7 pm)"),
]
PAYMENT = [
    ("not_sure", "Not sure yet"),
    ("self_pay", "Self-pay"),
    ("insurance", "Insurance"),
]


class CleanedInput:
    """Mixin for text inputs: control and invisible formatting characters dropped and outer
    space trimmed before validation, so the rules and the database see what the patient meant
    to type."""

    cleaner = staticmethod(normalise.clean_line)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = self.cleaner(self.data)


class CleanLine(CleanedInput, StringField):
    pass


class CleanText(CleanedInput, TextAreaField):
    cleaner = staticmethod(normalise.clean_text)


class CleanEmail(CleanedInput, EmailField):
    pass


class CleanTel(CleanedInput, TelField):
    pass


def _limit(field_label: str, maximum: int) -> Length:
    return Length(
        max=maximum,
        message=f"{field_label} can be at most {maximum:,} characters (you entered %(length)d).",
    )


class InquiryForm(FlaskForm):
    name = CleanLine(
        "Full name",
        validators=[
            InputRequired("Please tell us your name."),
            _limit("Your name", intake.NAME_MAX),
        ],
    )
    email = CleanEmail(
        "Email address",
        validators=[
            InputRequired("Please give an email address so we can reply."),
            _limit("The email address", intake.EMAIL_MAX),
        ],
    )
    phone = CleanTel(
        "Phone number",
        description="Needed only if you would like a phone call or text messages. Include the "
        "area code; for a number outside the US, start with + and the country code.",
    )
    condition = SelectField(
        "Condition you are asking about",
        validators=[InputRequired(f"Please choose a condition, or “{conditions.OTHER_LABEL}”.")],
    )
    message = CleanText(
        "Your question",
        description="What would you like to know? Please don't include anything you would not "
        "want a clinic coordinator to read.",
        validators=[_limit("Your message", intake.MESSAGE_MAX)],
    )
    # Nothing is chosen beforehand: a choice made for the patient (a phone call) contradicted
    # an empty phone number they were told was optional.
    preferred_contact = RadioField(
        "How should we contact you?",
        choices=PREFERRED_CONTACT,
        invalid_choice_message="Please choose how we should contact you: a phone call, an email "
        "or a text message.",
    )
    best_time = SelectField("Best time to reach you", choices=BEST_TIME, default="any")
    payment = RadioField(
        "How do you expect to pay?",
        choices=PAYMENT,
        default="not_sure",
        description="These treatments are rarely covered by insurance; knowing early helps us "
        "give you honest information about cost.",
    )
    consent = BooleanField(
        CONSENT_TEXT,
        validators=[
            InputRequired("Please tick the consent box so we may store and answer your inquiry.")
        ],
    )
    sms_consent = BooleanField(SMS_CONSENT_TEXT)
    # Honeypot: people leave it empty (its label says so); bots fill it.
    website = StringField("Leave this field empty")
    form_token = HiddenField()
    submitted_from = HiddenField()

    def validate_name(self, field):
        if not normalise.has_letter(field.data):
            raise ValidationError("Please enter your name using letters.")

    def validate_email(self, field):
        if field.data:
            try:
                field.data = normalise.normalise_email(field.data)
            except ValueError as error:
                raise ValidationError(email_error(field.data)) from error

    def validate_phone(self, field):
        if field.data:
            if len(field.data) > 40:
                raise ValidationError("The phone number can be at most 40 characters.")
            try:
                field.data = normalise.normalise_phone(
                    field.data, current_app.config["CLINIC_PHONE_REGION"]
                )
            except ValueError as error:
                raise ValidationError(str(error)) from error
        elif self.preferred_contact.data in PHONE_NEEDED:
            raise ValidationError(PHONE_NEEDED[self.preferred_contact.data])

    def validate_sms_consent(self, field):
        if self.preferred_contact.data == "sms" and not field.data:
            raise ValidationError(
                "You chose text messages, so please tick the box allowing us to text you, "
                "or choose another way to contact you."
            )
