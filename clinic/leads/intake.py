"""Turning a submitted form into exactly one stored inquiry, attached to the right person."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import bindparam, insert, or_, select, text
from sqlalchemy.exc import IntegrityError

from clinic.automation.intake import after_inquiry_recorded, owner_for_new_lead
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.pipeline import is_closed
from clinic.models import Inquiry, Lead, LeadEvent, utcnow
from clinic.notify.inquiry import queue_inquiry_notifications
from clinic.reports.facts import first_touch, stage_rank

NAME_MAX = 200
EMAIL_MAX = 320
MESSAGE_MAX = 5000
ATTRIBUTION_MAX = 200
URL_MAX = 500


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
    def from_dict(cls, data: dict | None) -> Attribution:
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


@dataclass
class IntakeResult:
    """What intake stored. The ORM objects are loaded only when asked for: the view needs none."""

    inquiry_id: int
    lead_id: int
    created_lead: bool
    duplicate_submission: bool = False
    reopened: bool = False

    @property
    def inquiry(self) -> Inquiry:
        return db.session.get(Inquiry, self.inquiry_id)

    @property
    def lead(self) -> Lead:
        return db.session.get(Lead, self.lead_id)


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


@lru_cache(maxsize=4)
def _lead_lookup(by_email: bool, by_phone: bool):
    """The statement finding a person's lead id by email key and/or phone digits, built once:
    intake runs it on every inquiry, and building a select costs more than running it."""
    conditions = []
    if by_email:
        conditions.append(Lead.email_key == bindparam("email_key"))
    if by_phone:
        conditions.append(Lead.phone_digits == bindparam("digits"))
    return (
        select(Lead.id)
        .where(or_(*conditions), Lead.erased_at.is_(None), Lead.merged_into_id.is_(None))
        .order_by(Lead.email_key == bindparam("email_key") if by_email else Lead.id, Lead.id)
        .limit(1)
    )


def _find_existing_lead(email_key: str | None, phone_digits: str | None) -> Lead | None:
    if not email_key and not phone_digits:
        return None
    query = _lead_lookup(bool(email_key), bool(phone_digits))
    parameters = {"email_key": email_key, "digits": phone_digits}
    lead_id = db.session.connection().execute(query, parameters).scalar()
    return db.session.get(Lead, lead_id) if lead_id else None


# Intake's statements, built once (see _lead_lookup) and run on the transaction's connection.
_SUBMISSION = select(Inquiry.id, Inquiry.lead_id).where(Inquiry.idempotency_key == bindparam("key"))
_INSERT_LEAD = insert(Lead).returning(Lead.id)
_INSERT_INQUIRY = insert(Inquiry).returning(Inquiry.id)
_INSERT_EVENT = insert(LeadEvent)


def _existing_submission(key: str) -> IntakeResult | None:
    row = db.session.connection().execute(_SUBMISSION, {"key": key}).first()
    if row is None:
        return None
    return IntakeResult(row.id, row.lead_id, created_lead=False, duplicate_submission=True)


def _insert_inquiry(lead_id: int, inquiry: dict, now: datetime) -> int:
    """The inquiry and its line on the lead's timeline; returns the inquiry's id."""
    connection = db.session.connection()
    inquiry_id = connection.execute(_INSERT_INQUIRY, {**inquiry, "lead_id": lead_id}).scalar_one()
    event = {"lead_id": lead_id, "created_at": now, "kind": "inquiry", "inquiry_id": inquiry_id}
    connection.execute(_INSERT_EVENT, event)
    return inquiry_id


def _inquiry_values(data: InquiryData, key: str, contact: dict, now: datetime) -> dict:
    """The inquiry's row as the patient sent it, with its consent evidence and attribution."""
    attribution = data.attribution
    return {
        "created_at": now,
        "idempotency_key": key,
        "name": contact["name"],
        "email": contact["email"],
        "phone": contact["phone"],
        "condition_slug": data.condition_slug,
        "message": normalise.clean_text(data.message)[:MESSAGE_MAX],
        "preferred_contact": data.preferred_contact,
        "best_time": data.best_time,
        "payment": data.payment,
        "consent_version": CONSENT_VERSION,
        "consent_at": now,
        "consent_page": _clip(data.consent_page, URL_MAX) or "/inquire",
        "sms_consent": bool(data.sms_consent),
        "utm_source": _clip(attribution.utm_source, ATTRIBUTION_MAX),
        "utm_medium": _clip(attribution.utm_medium, ATTRIBUTION_MAX),
        "utm_campaign": _clip(attribution.utm_campaign, ATTRIBUTION_MAX),
        "utm_term": _clip(attribution.utm_term, ATTRIBUTION_MAX),
        "utm_content": _clip(attribution.utm_content, ATTRIBUTION_MAX),
        "referrer": _clip(attribution.referrer, URL_MAX),
        "landing_page": _clip(attribution.landing_page, URL_MAX),
        "submitted_from": _clip(data.submitted_from, URL_MAX),
    }


def _insert_new_lead(
    inquiry: dict, contact: dict, source: str, now: datetime, owner_id: int | None
) -> int:
    """A lead for a first-time person, inserted as a plain row with its owner; returns its id.

    Without the ORM its report facts are set here: the first inquiry's attribution, and 'new'
    as the furthest stage reached.
    """
    values = {
        "owner_id": owner_id,
        **_latest_details(inquiry, contact, now),
        **first_touch(inquiry["utm_campaign"], inquiry["submitted_from"], inquiry["landing_page"]),
        "created_at": now,
        "first_inquiry_at": now,
        "status": "new",
        "furthest_stage": stage_rank("new"),
        "source": source,
        "inquiry_count": 1,
        "attempts": 0,
    }
    return db.session.connection().execute(_INSERT_LEAD, values).scalar_one()


def _update_returning_lead(lead: Lead, inquiry: dict, contact: dict, now: datetime) -> str | None:
    """A known person wrote again: reopen their lead if closed and show their latest details.

    Returns the closed status the lead was reopened from, if it was.
    """
    reopened_from = _reopen_if_closed(lead, now)
    for name, value in _latest_details(inquiry, contact, now).items():
        setattr(lead, name, value)
    lead.inquiry_count = (lead.inquiry_count or 0) + 1
    db.session.flush()
    return reopened_from


def _reopen_if_closed(lead: Lead, now: datetime) -> str | None:
    """A closed lead that writes again is new again; returns the status it was closed with."""
    if not is_closed(lead.status):
        return None
    previous = lead.status
    lead.status = "new"
    lead.lost_reason = None
    db.session.add(
        LeadEvent(
            lead_id=lead.id,
            created_at=now,
            kind="status",
            from_status=previous,
            to_status="new",
            body="Reopened by a new inquiry",
        )
    )
    return previous


def _latest_details(inquiry: dict, contact: dict, now: datetime) -> dict:
    """What a lead shows of its person's latest inquiry (contact details only when given)."""
    details = {
        "name": contact["name"],
        "name_key": normalise.fold(contact["name"]),
        "condition_slug": inquiry["condition_slug"],
        "preferred_contact": inquiry["preferred_contact"],
        "best_time": inquiry["best_time"],
        "payment": inquiry["payment"],
        "last_inquiry_at": now,
        "last_activity_at": now,
    }
    if contact["email"]:
        details.update(email=contact["email"], email_key=contact["email_key"])
    if contact["phone"]:
        details.update(phone=contact["phone"], phone_digits=contact["digits"])
    return details


def _contact(data: InquiryData) -> dict:
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


def record_inquiry(data: InquiryData, *, now: datetime | None = None) -> IntakeResult:
    """Store one inquiry and attach it to its person's lead (creating or reopening it).

    Idempotent on ``data.idempotency_key``: the same rendered form sent twice stores once, and
    the second call returns the first inquiry with ``duplicate_submission`` set. A new lead,
    the inquiry, its timeline entry and the outbox rows are plain inserts in one transaction;
    the ORM loads a lead only to update a returning person's or when the automation acts.
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
            lead = _find_existing_lead(contact["email_key"], contact["digits"])
            created, turn = lead is None, None
            if lead is None:
                source = data.attribution.source()
                turn = owner_for_new_lead(data.condition_slug)
                owner_id = turn.owner.id if turn else None
                lead_id = _insert_new_lead(inquiry, contact, source, now, owner_id)
                reopened_from = None
            else:
                lead_id, reopened_from = (
                    lead.id,
                    _update_returning_lead(lead, inquiry, contact, now),
                )
            inquiry_id = _insert_inquiry(lead_id, inquiry, now)
            queue_inquiry_notifications(lead_id, contact["email"], created, now=now)
            after_inquiry_recorded(
                lead_id, created, reopened_from=reopened_from, turn=turn, now=now
            )
            return IntakeResult(
                inquiry_id, lead_id, created_lead=created, reopened=reopened_from is not None
            )
    except IntegrityError:
        # A concurrent request with the same form token won the race: report its inquiry.
        existing = _existing_submission(key)
        if existing is None:
            raise
        return existing
