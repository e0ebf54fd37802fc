"""What an inquiry must hold, checked the same way wherever it comes from.

The site's form (clinic.public.forms) calls the field rules here, and the lead-capture API
checks a whole JSON body with :func:`check_body`, which applies those same rules and says what
is wrong with each field by its JSON pointer (RFC 6901). The API's published JSON Schema
(clinic.api.openapi) describes the shape checked here; the rules it can't express (a phone
number that exists, a condition that is published) are only here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from clinic.leads import conditions, intake, normalise
from clinic.leads.email_errors import email_error

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
PHONE_MAX = 40
CONDITION_MAX = 80
CONSENT_VERSION_MAX = 40

NAME_MISSING = "Please tell us your name."
NAME_WITHOUT_LETTERS = "Please enter your name using letters."
EMAIL_MISSING = "Please give an email address so we can reply."
PHONE_TOO_LONG = f"The phone number can be at most {PHONE_MAX} characters."
CONDITION_MISSING = f"Please choose a condition, or “{conditions.OTHER_LABEL}”."
CONTACT_NOT_CHOSEN = (
    "Please choose how we should contact you: a phone call, an email or a text message."
)
CONSENT_MISSING = "Please tick the consent box so we may store and answer your inquiry."
SMS_CONSENT_NEEDED = (
    "You chose text messages, so please tick the box allowing us to text you, or choose "
    "another way to contact you."
)
# The labels the length messages start with, as the form words them.
LENGTH_LABELS = {"name": "Your name", "email": "The email address", "message": "Your message"}
# A consent time this far ahead of the clinic's clock is a clock that is wrong, not a future.
CONSENT_CLOCK_SKEW = timedelta(minutes=5)


class InputProblem(ValueError):
    """A value the rules refuse; its message is the sentence to show."""


def too_long(field: str, maximum: int, length: int) -> str:
    return f"{LENGTH_LABELS[field]} can be at most {maximum:,} characters (you entered {length})."


def checked_name(name: str) -> str:
    """:raise InputProblem: when the name has no letter a coordinator could greet."""
    if not normalise.has_letter(name):
        raise InputProblem(NAME_WITHOUT_LETTERS)
    return name


def checked_email(email: str) -> str:
    """The address normalised. :raise InputProblem: in the clinic's words, when unusable."""
    try:
        return normalise.normalise_email(email)
    except ValueError as error:
        raise InputProblem(email_error(email)) from error


def checked_phone(phone: str | None, preferred_contact: str | None, region: str) -> str | None:
    """The number in E.164, or None when none was given and none is needed.

    :raise InputProblem: for a number that can't be one, or none when a call or text was chosen.
    """
    if phone:
        if len(phone) > PHONE_MAX:
            raise InputProblem(PHONE_TOO_LONG)
        try:
            return normalise.normalise_phone(phone, region)
        except ValueError as error:
            raise InputProblem(str(error)) from error
    if preferred_contact in PHONE_NEEDED:
        raise InputProblem(PHONE_NEEDED[preferred_contact])
    return None


def check_sms_consent(preferred_contact: str | None, sms_consent: bool) -> None:
    """:raise InputProblem: when texts were chosen as the way to answer but not allowed."""
    if preferred_contact == "sms" and not sms_consent:
        raise InputProblem(SMS_CONSENT_NEEDED)


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong, and where: ``pointer`` is a JSON pointer into the request body."""

    pointer: str
    detail: str


FIELDS = frozenset(
    {
        "name",
        "email",
        "phone",
        "condition",
        "message",
        "preferred_contact",
        "best_time",
        "payment",
        "sms_consent",
        "consent",
        "attribution",
    }
)
CONSENT_FIELDS = frozenset({"text_version", "given_at"})
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
PAGE_FIELDS = ("referrer", "landing_page")
ATTRIBUTION_FIELDS = frozenset({*UTM_FIELDS, *PAGE_FIELDS})


def web_address(value: str) -> str | None:
    """An http(s) address with a host, or None: what a page field may store."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return value


class _Body:
    """Reads one JSON body field by field, noting each problem at its pointer."""

    def __init__(self, body: Mapping[str, object]) -> None:
        self.body = body
        self.problems: list[FieldProblem] = []

    def problem(self, pointer: str, detail: str) -> None:
        self.problems.append(FieldProblem(pointer, detail))

    def unknown(self, values: Mapping[str, object], known: Collection[str], at: str) -> None:
        for name in sorted(set(values) - set(known)):
            self.problem(f"{at}/{_escaped(name)}", "This field is not part of an inquiry.")

    def text(
        self,
        values: Mapping[str, object],
        name: str,
        *,
        at: str = "",
        maximum: int | None,
        required: str | None = None,
        multiline: bool = False,
    ) -> str | None:
        """A string field cleaned as the form cleans it; None when absent, null or empty."""
        pointer = f"{at}/{name}"
        value = values.get(name)
        if value is not None and not isinstance(value, str):
            self.problem(pointer, "This field must be a string.")
            return None
        cleaned = (normalise.clean_text if multiline else normalise.clean_line)(value)
        if not cleaned:
            if required:
                self.problem(pointer, required)
            return None
        if maximum is not None and len(cleaned) > maximum:
            detail = (
                too_long(name, maximum, len(cleaned))
                if name in LENGTH_LABELS and not at
                else f"This field can be at most {maximum:,} characters."
            )
            self.problem(pointer, detail)
            return None
        return cleaned

    def choice(
        self, name: str, choices: list[tuple[str, str]], *, missing: str | None, default: str
    ) -> str | None:
        value = self.body.get(name)
        allowed = [code for code, _ in choices]
        if value is None and missing is None:
            return default
        if value not in allowed:
            self.problem(f"/{name}", missing or f"Choose one of: {', '.join(allowed)}.")
            return None
        return str(value)

    def flag(self, name: str) -> bool:
        value = self.body.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(f"/{name}", "This field must be true or false.")
            return False
        return value

    def section(self, name: str, *, required: str | None = None) -> Mapping[str, object] | None:
        """An object field; None when absent, null or not an object."""
        value = self.body.get(name)
        if value is None:
            if required:
                self.problem(f"/{name}", required)
            return None
        if not isinstance(value, Mapping):
            self.problem(f"/{name}", "This field must be an object.")
            return None
        return value


def _escaped(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def check_body(
    body: object,
    *,
    condition_slugs: Collection[str],
    region: str,
    consent_versions: Collection[str],
    now: datetime,
) -> intake.InquiryData | list[FieldProblem]:
    """An API request body as the inquiry it describes, or every problem found in it.

    The form's rules, field by field, plus the consent evidence a form gathers itself: the
    version of the wording the person agreed to (one of ``consent_versions``) and when.
    """
    if not isinstance(body, Mapping):
        return [FieldProblem("", "The body must be a JSON object.")]
    read = _Body(body)
    read.unknown(body, FIELDS, "")
    name = read.text(body, "name", maximum=intake.NAME_MAX, required=NAME_MISSING)
    if name is not None:
        try:
            checked_name(name)
        except InputProblem as problem:
            read.problem("/name", str(problem))
    email = read.text(body, "email", maximum=intake.EMAIL_MAX, required=EMAIL_MISSING)
    if email is not None:
        try:
            email = checked_email(email)
        except InputProblem as problem:
            read.problem("/email", str(problem))
    condition = read.text(body, "condition", maximum=CONDITION_MAX, required=CONDITION_MISSING)
    if condition is not None and condition not in condition_slugs:
        read.problem("/condition", CONDITION_MISSING)
    message = read.text(body, "message", maximum=intake.MESSAGE_MAX, multiline=True) or ""
    preferred = read.choice(
        "preferred_contact", PREFERRED_CONTACT, missing=CONTACT_NOT_CHOSEN, default=""
    )
    best_time = read.choice("best_time", BEST_TIME, missing=None, default="any")
    payment = read.choice("payment", PAYMENT, missing=None, default="not_sure")
    # No length here: checked_phone says what the form says about a long number.
    raw_phone = read.text(body, "phone", maximum=None)
    phone = None
    try:
        phone = checked_phone(raw_phone, preferred, region)
    except InputProblem as problem:
        read.problem("/phone", str(problem))
    sms_consent = read.flag("sms_consent")
    try:
        check_sms_consent(preferred, sms_consent)
    except InputProblem as problem:
        read.problem("/sms_consent", str(problem))
    consent_version, consent_at = _consent(read, consent_versions, now)
    attribution = _attribution(read)
    if read.problems:
        return read.problems
    return intake.InquiryData(
        name=name or "",
        email=email,
        phone=phone,
        condition_slug=condition or "",
        message=message,
        preferred_contact=preferred,
        best_time=best_time,
        payment=payment,
        sms_consent=sms_consent,
        consent_version=consent_version,
        consent_at=consent_at,
        attribution=attribution,
    )


def _consent(
    read: _Body, versions: Collection[str], now: datetime
) -> tuple[str | None, datetime | None]:
    consent = read.section("consent", required=CONSENT_MISSING)
    if consent is None:
        return None, None
    read.unknown(consent, CONSENT_FIELDS, "/consent")
    version = read.text(
        consent,
        "text_version",
        at="/consent",
        maximum=CONSENT_VERSION_MAX,
        required="Give the version of the consent text the person agreed to.",
    )
    if version is not None and version not in versions:
        read.problem(
            "/consent/text_version",
            f"This consent text version is not known; the current one is {sorted(versions)[-1]}.",
        )
    given_at = _moment(read, consent.get("given_at"), now)
    return version, given_at


def _moment(read: _Body, value: object, now: datetime) -> datetime | None:
    pointer = "/consent/given_at"
    if not isinstance(value, str) or not value:
        read.problem(pointer, "Give when the person agreed, as an ISO 8601 time with its offset.")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        read.problem(
            pointer, "This is not an ISO 8601 time with an offset, like 2026-12-09T10:00:00Z."
        )
        return None
    if moment > now + CONSENT_CLOCK_SKEW:
        read.problem(pointer, "This time is in the future.")
        return None
    return moment


def _attribution(read: _Body) -> intake.Attribution:
    section = read.section("attribution")
    if section is None:
        return intake.Attribution()
    read.unknown(section, ATTRIBUTION_FIELDS, "/attribution")
    values: dict[str, str | None] = {}
    for name in UTM_FIELDS:
        values[name] = read.text(section, name, at="/attribution", maximum=intake.ATTRIBUTION_MAX)
    for name in PAGE_FIELDS:
        page = read.text(section, name, at="/attribution", maximum=intake.URL_MAX)
        if page is not None and web_address(page) is None:
            read.problem(f"/attribution/{name}", "This must be an http or https address.")
            page = None
        values[name] = page
    return intake.Attribution(**values)
