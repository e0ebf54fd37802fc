"""What is wrong with an email address the form refused, said in the clinic's own words.

email-validator decides whether an address is usable; its messages are written for developers
("The part after the @-sign is not valid. It should have a period."), so the patient is told
instead what this module finds wrong with what they typed, with an example of what to type.
Only when none of its checks finds the problem does the patient get the general sentence.
"""

from __future__ import annotations

NO_AT = "Please include an @ in the email address, like name@example.com."
LOOKALIKE_AT = (
    "The @ in this email address is a look-alike character: please type the @ again from "
    "your keyboard."
)
MORE_THAN_ONE_AT = "An email address has only one @. Please check the address."
NOT_BARE = (
    "Please give just the email address, like name@example.com, without a name or < > around it."
)
SPACES = "An email address can't contain spaces. Please check the address."
NOTHING_BEFORE_AT = "Please add the part before the @, like “name” in name@example.com."
NOTHING_AFTER_AT = "Please add the part after the @, like “example.com” in name@example.com."
DOTS = (
    "Please check the dots in the email address: it can't start or end with a dot, have two "
    "dots together, or have a dot next to the @."
)
CHARACTER = "An email address can't contain “{character}”. Please check the address."
HYPHENS = (
    "Please check the part after the @: a hyphen can't come at the start or end of it, or "
    "next to a dot."
)
NO_ENDING = (
    "The part after the @ needs its ending, like gmail.com or example.org. Please check the "
    "address."
)
BAD_ENDING = (
    "The ending of the email address (like .com or .org) doesn't look right. Please check it."
)
CANNOT_RECEIVE = (
    "We can't send email to an address ending in “.{ending}”. Please give the address where "
    "you read your email."
)
TOO_LONG = "That email address is too long to be a working one. Please check it."
GENERAL = "Please check the email address: it should look like name@example.com."

AT_LOOKALIKES = "＠﹫"  # full-width and small commercial at, which phones' keyboards can give
# Characters an address may hold besides letters and digits of any script (RFC 5322 atext).
LOCAL_SYMBOLS = frozenset("!#$%&'*+/=?^_`{|}~-.")
DOMAIN_SYMBOLS = frozenset("-.")
# Domain names set aside for local networks and tests (RFC 6761), which no mail reaches.
SPECIAL_USE_ENDINGS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})
LOCAL_PART_MAX = 64
DOMAIN_LABEL_MAX = 63


def email_error(address: str) -> str:
    """The sentence shown beside the email field for an address email-validator refused."""
    if "@" not in address:
        return LOOKALIKE_AT if any(c in address for c in AT_LOOKALIKES) else NO_AT
    if "<" in address or ">" in address:
        return NOT_BARE
    if address.count("@") > 1:
        return MORE_THAN_ONE_AT
    if any(character.isspace() for character in address):
        return SPACES
    local, _, domain = address.partition("@")
    if not local:
        return NOTHING_BEFORE_AT
    if not domain:
        return NOTHING_AFTER_AT
    if ".." in address or any(p.startswith(".") or p.endswith(".") for p in (local, domain)):
        return DOTS
    unusable = _unusable_character(local, LOCAL_SYMBOLS) or _unusable_character(
        domain, DOMAIN_SYMBOLS
    )
    if unusable:
        return CHARACTER.format(character=unusable)
    labels = domain.split(".")
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return HYPHENS
    if len(labels) == 1:
        return NO_ENDING
    ending = labels[-1].lower()
    if not ending[-1].isalpha():
        return BAD_ENDING
    if ending in SPECIAL_USE_ENDINGS:
        return CANNOT_RECEIVE.format(ending=ending)
    if len(local) > LOCAL_PART_MAX or any(len(label) > DOMAIN_LABEL_MAX for label in labels):
        return TOO_LONG
    return GENERAL


def _unusable_character(part: str, symbols: frozenset[str]) -> str | None:
    return next((c for c in part if not (c.isalnum() or c in symbols)), None)
