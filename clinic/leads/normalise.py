"""Cleaning and normalising what people type, without mangling their names or scripts."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# C0/C1 control characters and NUL. PostgreSQL refuses NUL in text; none of them belongs in a lead.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that change how the text around them shows without showing themselves: the bidi
# controls (embeddings, overrides, isolates, and the LRM, RLM and ALM marks), which can make a
# name or a number display in another order than the one stored, and the zero-width characters,
# which make two names that look alike differ when stored and searched.
_INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# The zero-width non-joiner and joiner are spelling in Persian and Indic scripts and glue emoji
# sequences together, so they stay between two such characters and go everywhere else (at an
# edge, beside a space, inside Latin text, or repeated).
_JOINERS = re.compile("[\u200c\u200d]+")
_LINE_BREAKS_AND_TABS = re.compile(r"[\t\n\r\u2028\u2029]")


def _keep_joiner(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() or after.isspace() or before.isascii() or after.isascii():
        return ""
    return match.group()[0]


def _without_invisible(value: str) -> str:
    return _JOINERS.sub(_keep_joiner, _INVISIBLE.sub("", value))


def clean_line(value: str | None) -> str:
    """One-line text: control and invisible formatting characters removed, line breaks and tabs
    made spaces, trimmed. Letters and combining marks of every script are kept as typed."""
    if not value:
        return ""
    value = _without_invisible(_CONTROL.sub("", value))
    return _LINE_BREAKS_AND_TABS.sub(" ", value).strip()


def clean_text(value: str | None) -> str:
    """Multi-line text: newlines kept (as \\n), other control characters and invisible formatting
    characters removed, trimmed."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _without_invisible(_CONTROL.sub("", value)).strip()


def has_letter(value: str) -> bool:
    """Whether the text holds a letter of any script: a name made only of digits, punctuation,
    marks or symbols is not one a coordinator can greet."""
    return any(unicodedata.category(character).startswith("L") for character in value)


def fold(value: str) -> str:
    """Case- and accent-insensitive key: 'Núñez' and 'nunez' fold alike; other scripts stay."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


def normalise_email(value: str) -> str:
    """The address as email-validator normalises it (domain lower-cased, IDNs accepted).

    :raise ValueError: with a sentence fit to show the patient.
    """
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"Please check the email address: {error}") from error
    return result.normalized


def email_key(normalised_email: str | None) -> str | None:
    """The key two inquiries share when they come from the same mailbox."""
    return normalised_email.lower() if normalised_email else None


def normalise_phone(value: str, region: str) -> str:
    """The number in E.164 (+12125550142), parsed with the clinic's region for national formats.

    :raise ValueError: with a sentence fit to show the patient.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(
            "Please check the phone number: include the area code, "
            "or the country code (such as +44) for a number outside the country."
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            "That phone number does not look complete or valid: please check the digits "
            "and the area or country code."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(e164: str | None) -> str | None:
    return e164.lstrip("+") if e164 else None


def phone_search_digits(query: str, region: str) -> str | None:
    """Digits to look up for a phone typed any way, or None when the query is not a phone."""
    digits = re.sub(r"\D", "", query)
    if len(digits) < 4 or re.search(r"[A-Za-z@]", query):
        return None
    try:
        number = phonenumbers.parse(query, region)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    except phonenumbers.NumberParseException:
        pass
    return digits


def display_phone(e164: str | None) -> str:
    """A stored number formatted for people reading it."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
