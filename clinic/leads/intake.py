"""Turning a submitted form into exactly one stored inquiry, attached to the right person.

Who "the right person" is follows clinic.leads.identity: the form proves nothing about who sent
it, so it never changes what is stored about a person who already exists.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import (
    actions,
    consent,
    counts,
    derived,
    facts,
    identity,
    normalise,
    references,
    signals,
)
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.pipeline import is_closed, stage_rank
from clinic.models import Inquiry, Lead, LeadEvent, utcnow

NAME_MAX = 200
EMAIL_MAX = 320
MESSAGE_MAX = 5000
ATTRIBUTION_MAX = 200
URL_MAX = 500
# Draws of a reference before giving up: each collides with odds of (inquiries stored) in 10^12.
REFERENCE_DRAWS = 5


@dataclass
class Attribution:
    """First-touch facts about how the visitor arrived, kept in their session until they write."""

    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    landing_page: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> Attribution:
        data = data or {}
        fields = cls.__dataclass_fields__
        return cls(**{k: _clip(v, URL_MAX) for k, v in data.items() if k in fields})

    def source(self) -> str:
        """The single channel name the inbox shows: utm_source, else the referring host."""
        if self.utm_source:
            return self.utm_source[:120]
        if self.referrer:
            host = urlsplit(self.referrer).hostname
            if host:
                return host.removeprefix("www.")[:120]
        return "direct"


@dataclass
class InquiryData:
    """What the patient sent, already validated and normalised by the form."""

    name: str
    email: str | None
    phone: str | None
    condition_slug: str
    message: str = ""
    preferred_contact: str | None = None
    best_time: str | None = None
    payment: str | None = None
    sms_consent: bool = False
    consent_page: str = "/inquire"
    submitted_from: str | None = None
    idempotency_key: str | None = None
    attribution: Attribution = field(default_factory=Attribution)
    # Consent given elsewhere (the lead-capture API): the wording's version and when. The site's
    # forms leave them None: the current wording, agreed as the form is sent.
    consent_version: str | None = None
    consent_at: datetime | None = None
    # How it came in ("form", "embed" or "api", with the API key), and the new lead's source
    # when the channel names one (an API key's); else the attribution's.
    channel: str = "form"
    api_key_id: int | None = None
    source: str | None = None


class Contact(TypedDict):
    """The sender's contact details, cleaned, with the keys identity matches a person on."""

    name: str
    email: str | None
    phone: str | None
    email_key: str | None
    digits: str | None


class InquiryRow(TypedDict):
    """An inquiry's columns as intake inserts them (its lead's id is added on insert)."""

    created_at: datetime
    idempotency_key: str
    reference: str
    name: str
    email: str | None
    phone: str | None
    condition_slug: str
    message: str
    preferred_contact: str | None
    best_time: str | None
    payment: str | None
    consent_version: str
    consent_at: datetime
    consent_page: str
    sms_consent: bool
    consent_text_id: int | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    referrer: str | None
    landing_page: str | None
    submitted_from: str | None
    channel: str
    api_key_id: int | None


@dataclass(frozen=True)
class PickedOwner:
    """Who a new lead is written with as its owner, and the timeline's words for how."""

    owner_id: int
    note: str


# Whose turn a new lead about a condition is, chosen inside intake's transaction (the caller
# decides how, e.g. clinic.automation.intake.owner_for_new_lead); None leaves it unassigned.
OwnerPicker = Callable[[str], PickedOwner | None]


@dataclass
class IntakeResult:
    """What intake stored. The ORM objects are loaded only when asked for: the view needs none.

    ``possible_duplicate_of``: the lead a new lead was marked as possibly the same person as.
    ``reference``: what the patient quotes on the phone (None only for an inquiry stored before
    references existed, sent again).
    """

    inquiry_id: int
    lead_id: int
    created_lead: bool
    reference: str | None = None
    duplicate_submission: bool = False
    reopened: bool = False
    possible_duplicate_of: int | None = None

    @property
    def inquiry(self) -> Inquiry:
        return db.session.get_one(Inquiry, self.inquiry_id)

    @property
    def lead(self) -> Lead:
        return db.session.get_one(Lead, self.lead_id)


def _clip(value: object, limit: int) -> str | None:
    if value is None:
        return None
    cleaned = normalise.clean_line(str(value))
    return cleaned[:limit] or None


def idempotency_key_for(token: str | None) -> str:
    """The stored key for a rendered form's token; a missing token still gets a unique key."""
    if not token:
        token = secrets.token_hex(16)
    return hashlib.sha256(normalise.clean_line(token).encode()).hexdigest()


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:k))")


def _lock_identity(keys: list[str]) -> None:
    """Serialise intake per person on PostgreSQL so two parallel inquiries make one lead.

    SQLite needs nothing here: the write transaction already holds the database's write lock.
    """
    if db.engine.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        db.session.execute(_ADVISORY_LOCK, {"k": key})


# Intake's statements, built once (building a statement costs more than running it) and run on
# the transaction's connection.
_SUBMISSION = select(Inquiry.id, Inquiry.lead_id, Inquiry.reference).where(
    Inquiry.idempotency_key == bindparam("key")
)
_INSERT_LEAD = insert(Lead).returning(Lead.id)
# A reference another inquiry already has makes the insert store nothing (and return no id)
# instead of failing, which on PostgreSQL would abort the whole transaction: intake draws
# another and inserts again, and the inquiry is kept.
_INSERT_INQUIRY = {
    "postgresql": postgresql.insert(Inquiry)
    .on_conflict_do_nothing(index_elements=[Inquiry.reference])
    .returning(Inquiry.id),
    "sqlite": sqlite.insert(Inquiry)
    .on_conflict_do_nothing(index_elements=[Inquiry.reference])
    .returning(Inquiry.id),
}
_INSERT_EVENT = insert(LeadEvent)
# A preference left out (only possible outside the public form) keeps the one given before.
_JOIN_LEAD = (
    update(Lead)
    .where(Lead.id == bindparam("joined_id"))
    .values(
        inquiry_count=Lead.inquiry_count + 1,
        last_inquiry_at=bindparam("now"),
        last_activity_at=bindparam("now"),
        preferred_contact=func.coalesce(bindparam("preferred"), Lead.preferred_contact),
        best_time=func.coalesce(bindparam("best"), Lead.best_time),
        payment=func.coalesce(bindparam("pays"), Lead.payment),
    )
)


def _existing_submission(key: str) -> IntakeResult | None:
    row = db.session.connection().execute(_SUBMISSION, {"key": key}).first()
    if row is None:
        return None
    return IntakeResult(
        row.id, row.lead_id, created_lead=False, reference=row.reference, duplicate_submission=True
    )


def _insert_inquiry(lead_id: int, inquiry: InquiryRow, now: datetime) -> tuple[int, str]:
    """The inquiry and its line on the lead's timeline; returns the inquiry's id and reference.

    :raise RuntimeError: when every reference drawn was taken (not expected to happen).
    """
    connection = db.session.connection()
    statement = _INSERT_INQUIRY[connection.dialect.name]
    values = {**inquiry, "lead_id": lead_id}
    for _ in range(REFERENCE_DRAWS):
        inquiry_id = connection.execute(statement, values).scalar_one_or_none()
        if inquiry_id is not None:
            break
        values["reference"] = references.new_reference()
    else:
        raise RuntimeError(f"no free inquiry reference in {REFERENCE_DRAWS} draws")
    event = {"lead_id": lead_id, "created_at": now, "kind": "inquiry", "inquiry_id": inquiry_id}
    connection.execute(_INSERT_EVENT, event)
    return inquiry_id, str(values["reference"])


def _insert_assign_event(lead_id: int, picked: PickedOwner, now: datetime) -> None:
    """The new lead's assignment on its timeline, after its inquiry, as done by the system."""
    event = {"lead_id": lead_id, "created_at": now, "kind": "assign", "body": picked.note}
    db.session.connection().execute(_INSERT_EVENT, event)


def _inquiry_values(data: InquiryData, key: str, contact: Contact, now: datetime) -> InquiryRow:
    """The inquiry's row as the patient sent it, with its consent evidence and attribution."""
    attribution = data.attribution
    return {
        "created_at": now,
        "idempotency_key": key,
        "reference": references.new_reference(),
        "name": contact["name"],
        "email": contact["email"],
        "phone": contact["phone"],
        "condition_slug": data.condition_slug,
        "message": normalise.clean_text(data.message)[:MESSAGE_MAX],
        "preferred_contact": data.preferred_contact,
        "best_time": data.best_time,
        "payment": data.payment,
        "consent_version": data.consent_version or CONSENT_VERSION,
        "consent_at": data.consent_at or now,
        "consent_page": _clip(data.consent_page, URL_MAX) or "/inquire",
        "sms_consent": bool(data.sms_consent),
        "consent_text_id": consent.current_text_id(),  # before intake's transaction
        "utm_source": _clip(attribution.utm_source, ATTRIBUTION_MAX),
        "utm_medium": _clip(attribution.utm_medium, ATTRIBUTION_MAX),
        "utm_campaign": _clip(attribution.utm_campaign, ATTRIBUTION_MAX),
        "utm_term": _clip(attribution.utm_term, ATTRIBUTION_MAX),
        "utm_content": _clip(attribution.utm_content, ATTRIBUTION_MAX),
        "referrer": _clip(attribution.referrer, URL_MAX),
        "landing_page": _clip(attribution.landing_page, URL_MAX),
        "submitted_from": _clip(data.submitted_from, URL_MAX),
        "channel": data.channel,
        "api_key_id": data.api_key_id,
    }


def _insert_new_lead(
    inquiry: InquiryRow,
    contact: Contact,
    source: str,
    now: datetime,
    owner_id: int | None,
    possible_duplicate_of: int | None,
) -> int:
    """A lead for a person not known yet, inserted as a plain row with its owner and, when it
    partly matches another lead, the mark naming that lead; returns its id.

    Its report facts are set here (the first inquiry's attribution, and 'new' as the furthest
    stage reached), and it is counted in its status tab.
    """
    values = {
        "owner_id": owner_id,
        "possible_duplicate_of_id": possible_duplicate_of,
        **_person_details(inquiry, contact),
        **facts.first_touch(
            inquiry["utm_campaign"], inquiry["submitted_from"], inquiry["landing_page"]
        ),
        "created_at": now,
        "first_inquiry_at": now,
        "status": "new",
        "furthest_stage": stage_rank("new"),
        "source": source,
        "inquiry_count": 1,
        "attempts": 0,
    }
    lead_id = db.session.connection().execute(_INSERT_LEAD, values).scalar_one()
    counts.move((None, ("new", inquiry["condition_slug"], owner_id or 0)))
    return lead_id


def _join_lead(match: identity.PersonMatch, inquiry: InquiryRow, now: datetime) -> str | None:
    """A known person wrote again: count the inquiry on their lead and reopen it if closed.

    The lead keeps its name, email, phone and condition: the inquiry holds what this form said,
    and the record shows it. A coordinator working a lupus lead expects to find it under lupus
    still, with the new question about COPD on its timeline and in its inquiries (marked as
    another condition there), not moved silently to another condition's queue and owner. The
    contact preferences (how, when, how they expect to pay) do follow the latest inquiry: they
    only steer how staff use the contact details already stored, never where they reach.

    Returns the closed status the lead was reopened from, if it was.
    """
    parameters = {
        "joined_id": match.lead_id,
        "now": now,
        "preferred": inquiry["preferred_contact"],
        "best": inquiry["best_time"],
        "pays": inquiry["payment"],
    }
    db.session.connection().execute(_JOIN_LEAD, parameters)
    if not is_closed(match.status):
        return None
    reopened_from = _reopen_if_closed(db.session.get_one(Lead, match.lead_id), now)
    facts.refresh_timeline_facts([match.lead_id])
    return reopened_from


def _reopen_if_closed(lead: Lead, now: datetime) -> str | None:
    """A closed lead that writes again is new again; returns the status it was closed with."""
    if not is_closed(lead.status):
        return None
    previous = lead.status
    actions.move_status(lead, "new", actor=None, body="Reopened by a new inquiry", now=now)
    return previous


def _person_details(inquiry: InquiryRow, contact: Contact) -> dict[str, object]:
    """What a new lead holds of its person's first inquiry."""
    return {
        "name": contact["name"],
        "name_key": normalise.fold(contact["name"]),
        "email": contact["email"],
        "email_key": contact["email_key"],
        "phone": contact["phone"],
        "phone_digits": contact["digits"],
        "condition_slug": inquiry["condition_slug"],
        "preferred_contact": inquiry["preferred_contact"],
        "best_time": inquiry["best_time"],
        "payment": inquiry["payment"],
        "last_inquiry_at": inquiry["created_at"],
        "last_activity_at": inquiry["created_at"],
    }


def _contact(data: InquiryData) -> Contact:
    name = normalise.clean_line(data.name)[:NAME_MAX]
    email = normalise.clean_line(data.email)[:EMAIL_MAX] or None
    phone = normalise.clean_line(data.phone) or None
    return {
        "name": name,
        "email": email,
        "phone": phone,
        "email_key": normalise.email_key(email),
        "digits": normalise.phone_digits(phone),
    }


def record_inquiry(
    data: InquiryData, *, pick_owner: OwnerPicker | None = None, now: datetime | None = None
) -> IntakeResult:
    """Store one inquiry and attach it to its person's lead, or start a lead for it.

    It joins an existing lead only by the rule of :mod:`clinic.leads.identity` (every contact
    detail both give agrees), which may reopen a closed one; otherwise it gets a new lead,
    marked as possibly the same person as a lead it partly matches. Either way nothing stored
    about an existing person changes but the count and time of their inquiries.

    Idempotent on ``data.idempotency_key``: the same rendered form sent twice stores once, and
    the second call returns the first inquiry with ``duplicate_submission`` set. A new lead,
    the inquiry and its timeline entries are plain inserts in one transaction; the ORM loads a
    lead only to reopen it or when a receiver of ``signals.inquiry_recorded`` (sent inside the
    transaction, so what it queues is saved with the inquiry or not at all) needs it.

    ``pick_owner`` chooses a new lead's owner before the lead is written, so it is stored once,
    already assigned; without it a new lead starts unassigned. The inquiry's reference (see
    :mod:`clinic.leads.references`) is written by the same insert as the rest of it.
    """
    now = now or utcnow()
    key = data.idempotency_key or idempotency_key_for(None)
    contact = _contact(data)
    inquiry = _inquiry_values(data, key, contact, now)
    try:
        with write_transaction():
            existing = _existing_submission(key)
            if existing:
                return existing
            _lock_identity([k for k in (contact["email_key"], contact["digits"]) if k])
            match = identity.find_person(contact["email_key"], contact["digits"])
            joined = match if match is not None and match.joins else None
            created = joined is None
            picked, reopened_from, marked = None, None, None
            if joined is None:
                marked = match.lead_id if match else None
                source = data.source or data.attribution.source()
                picked = pick_owner(data.condition_slug) if pick_owner else None
                owner_id = picked.owner_id if picked else None
                lead_id = _insert_new_lead(inquiry, contact, source, now, owner_id, marked)
            else:
                lead_id = joined.lead_id
                reopened_from = _join_lead(joined, inquiry, now)
            inquiry_id, reference = _insert_inquiry(lead_id, inquiry, now)
            derived.refresh_messages([lead_id])
            if picked is not None:
                _insert_assign_event(lead_id, picked, now)
            signals.inquiry_recorded.send(
                signals.sender(),
                lead_id=lead_id,
                inquiry_id=inquiry_id,
                reference=reference,
                created_lead=created,
                reopened_from=reopened_from,
                email=contact["email"],
                owner_id=picked.owner_id if picked else None,
                now=now,
            )
            return IntakeResult(
                inquiry_id,
                lead_id,
                created_lead=created,
                reference=reference,
                reopened=reopened_from is not None,
                possible_duplicate_of=marked,
            )
    except IntegrityError:
        # A concurrent request with the same form token won the race: report its inquiry.
        existing = _existing_submission(key)
        if existing is None:
            raise
        return existing
