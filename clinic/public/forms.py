"""The inquiry form. Server-side validation here is the authority; the browser's is a courtesy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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

from clinic.leads import intake, normalise
from clinic.leads.consent import CONSENT_TEXT, SMS_CONSENT_TEXT
from clinic.leads.inquiry_input import (
    BEST_TIME,
    CONDITION_MISSING,
    CONSENT_MISSING,
    CONTACT_NOT_CHOSEN,
    EMAIL_MISSING,
    NAME_MISSING,
    PAYMENT,
    PHONE_NEEDED,
    PREFERRED_CONTACT,
    InputProblem,
    check_sms_consent,
    checked_email,
    checked_name,
    checked_phone,
)

# The choices and messages are the domain's (clinic.leads.inquiry_input), which the API shares;
# named here too for the pages that list the choices.
__all__ = [
    "BEST_TIME",
    "PAYMENT",
    "PHONE_NEEDED",
    "PREFERRED_CONTACT",
    "EmbedInquiryForm",
    "InquiryForm",
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
            InputRequired(NAME_MISSING),
            _limit("Your name", intake.NAME_MAX),
        ],
    )
    email = CleanEmail(
        "Email address",
        validators=[
            InputRequired(EMAIL_MISSING),
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
        validators=[InputRequired(CONDITION_MISSING)],
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
        invalid_choice_message=CONTACT_NOT_CHOSEN,
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
        validators=[InputRequired(CONSENT_MISSING)],
    )
    sms_consent = BooleanField(SMS_CONSENT_TEXT)
    # Honeypot: people leave it empty (its label says so); bots fill it.
    website = StringField("Leave this field empty")
    form_token = HiddenField()
    submitted_from = HiddenField()

    # The field rules are the domain's, shared with the lead-capture API.
    def validate_name(self, field):
        with _as_validation_error():
            checked_name(field.data)

    def validate_email(self, field):
        if field.data:
            with _as_validation_error():
                field.data = checked_email(field.data)

    def validate_phone(self, field):
        with _as_validation_error():
            field.data = checked_phone(
                field.data,
                self.preferred_contact.data,
                current_app.config["CLINIC_PHONE_REGION"],
            )

    def validate_sms_consent(self, field):
        with _as_validation_error():
            check_sms_consent(self.preferred_contact.data, bool(field.data))


@contextmanager
def _as_validation_error() -> Iterator[None]:
    try:
        yield
    except InputProblem as problem:
        raise ValidationError(str(problem)) from problem


class EmbedInquiryForm(InquiryForm):
    """The same form framed on the clinic's own site (clinic.public.embed_views).

    A frame from another site gets no session cookie where third-party cookies are blocked, so
    the session's CSRF token can't work: a signed, time-limited token bound to the form's
    idempotency token stands in for it. The rest says where the frame was: the page around it,
    that page's referrer and its UTM tags.
    """

    class Meta:
        csrf = False

    embed_token = HiddenField()
    page = HiddenField()
    ref = HiddenField()
    utm_source = HiddenField()
    utm_medium = HiddenField()
    utm_campaign = HiddenField()
    utm_term = HiddenField()
    utm_content = HiddenField()
