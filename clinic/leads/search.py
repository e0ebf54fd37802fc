"""Finding a lead by what a coordinator has at hand: a name, part of an email address, a phone
number typed any way, or words from a message.

Name, email and phone are matched on the keys the intake stores (``name_key`` folded,
``email_key`` lower-cased, ``phone_digits`` in E.164 without the plus), so 'nunez' finds
'Núñez' and '(212) 555-0142' finds '+12125550142'. Message matching lives in one function,
:func:`message_matches`, so a full-text index can replace it without touching callers.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from clinic.leads import normalise
from clinic.models import Inquiry, Lead

QUERY_MAX = 200
TERMS_MAX = 8


def search(statement: Select, q: str | None, *, region: str) -> Select:
    """``statement`` (a select over Lead) narrowed to the leads matching ``q``; blank ``q`` keeps
    it as it is."""
    query = normalise.clean_line(q)[:QUERY_MAX]
    if not query:
        return statement
    return statement.where(lead_matches(query, region=region))


def lead_matches(query: str, *, region: str) -> ColumnElement[bool]:
    """The condition a lead meets when it matches the typed query.

    An '@' means an email address (or part of one); digits with no letters mean a phone
    number, whole or partial; anything else is looked for in names, addresses and messages.
    """
    if "@" in query:
        return email_matches(query)
    if normalise.phone_search_digits(query, region) is not None:
        return phone_matches(query, region=region)
    words = query.split()[:TERMS_MAX]
    return or_(name_matches(words), email_matches(query), message_matches(words))


def email_matches(fragment: str) -> ColumnElement[bool]:
    return Lead.email_key.contains(fragment.strip().lower(), autoescape=True)


def phone_matches(query: str, *, region: str) -> ColumnElement[bool]:
    """A complete number matches exactly (indexed); a partial one anywhere in the digits."""
    try:
        whole = normalise.phone_digits(normalise.normalise_phone(query, region))
    except ValueError:
        whole = None
    if whole:
        return Lead.phone_digits == whole
    return Lead.phone_digits.contains(re.sub(r"\D", "", query), autoescape=True)


def name_matches(words: list[str]) -> ColumnElement[bool]:
    """Every word appears in the folded name, in any order: 'nunez zoe' finds 'Zoë Núñez'."""
    return and_(*(Lead.name_key.contains(normalise.fold(word), autoescape=True) for word in words))


def message_matches(words: list[str]) -> ColumnElement[bool]:
    """Some inquiry of the lead mentions every word (case-insensitive)."""
    return exists(
        select(Inquiry.id).where(
            Inquiry.lead_id == Lead.id,
            *(Inquiry.message.icontains(word, autoescape=True) for word in words),
        )
    )
