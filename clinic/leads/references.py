"""Inquiry references: short codes a patient reads out on the phone and a coordinator types in.

Eight characters of Crockford's base32 alphabet, which leaves out I, L, O and U so that no two
characters sound or look alike, grouped in fours ("K7M4-QX2P"). They are drawn at random (never
derived from the row id, which would tell anyone how many people wrote to the clinic), and each
holds a digit and a letter, so a typed name or phone number is not taken for one.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_DIGITS = frozenset("0123456789")
_ALLOWED = frozenset(ALPHABET)
# What a person may type for a character they heard or misread: Crockford's decoding rules.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATOR = "[\\s\\-\u2010\u2011\u2013\u2014]+"  # spaces, hyphens and dashes
_SEPARATORS = re.compile(_SEPARATOR)
_GROUPED = re.compile(rf"\w{{4}}{_SEPARATOR}\w{{4}}")


def _shaped(code: str) -> bool:
    """Eight characters of the alphabet with at least one digit and one letter."""
    characters = set(code)
    return (
        len(code) == LENGTH
        and characters <= _ALLOWED
        and bool(characters & _DIGITS)
        and bool(characters - _DIGITS)
    )


def _grouped(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_reference() -> str:
    """A fresh random reference, as stored and shown: 'K7M4-QX2P'."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if _shaped(code):
            return _grouped(code)


def parse_reference(text: str) -> str | None:
    """The reference as stored, from however it was typed ('k7m4 qx2p', 'K7M4QX2P', an O for
    the zero); None when the text cannot be one.

    Typed as one word, it must show a digit: 'Anderson' reads as 'ANDERS0N' once its O counts
    as a zero, and is a name.
    """
    typed = text.strip()
    if not (any(c.isdigit() for c in typed) or _GROUPED.fullmatch(typed)):
        return None
    code = _SEPARATORS.sub("", typed).upper().translate(_READ_AS)
    return _grouped(code) if _shaped(code) else None
