"""Turning a submitted form into exactly one stored inquiry, attached to the right person."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError

from clinic.automation.intake import after_inquiry_recorded
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.pipeline import is_closed
from clinic.models import Inquiry, Lead, LeadEvent, utcnow
from clinic.notify.inquiry import queue_inquiry_notifications

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
    inquiry: Inquiry
    lead: Lead
    created_lead: bool
    duplicate_submission: bool = False
    reopened: bool = False


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


def _lock_identity(keys: list[str]) -> None:
    """Serialise intake per person on PostgreSQL so two parallel inquiries make one lead.

    SQLite needs nothing here: the write transaction already holds the database's write lock.
    """
    if db.engine.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _find_existing_lead(email_key: str | None, phone_digits: str | None) -> Lead | None:
    conditions = []
    if email_key:
        conditions.append(Lead.email_key == email_key)
    if phone_digits:
        conditions.append(Lead.phone_digits == phone_digits)
    if not conditions:
        return None
    query = (
        select(Lead)
        .where(or_(*conditions), Lead.erased_at.is_(None), Lead.merged_into_id.is_(None))
        .order_by(Lead.email_key == email_key if email_key else Lead.id, Lead.id)
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def _existing_submission(key: str) -> IntakeResult | None:
    inquiry = db.session.execute(
        select(Inquiry).where(Inquiry.idempotency_key == key)
    ).scalar_one_or_none()
    if inquiry is None:
        return None
    lead = db.session.get(Lead, inquiry.lead_id)
    return IntakeResult(inquiry, lead, created_lead=False, duplicate_submission=True)


def record_inquiry(data: InquiryData, *, now: datetime | None = None) -> IntakeResult:
    """Store one inquiry and attach it to its person's lead (creating or reopening it).

    Idempotent on ``data.idempotency_key``: the same rendered form sent twice stores once, and
    the second call returns the first inquiry with ``duplicate_submission`` set.
    """
    now = now or utcnow()
    key = data.idempotency_key or idempotency_key_for(None)
    name = normalise.clean_line(data.name)[:NAME_MAX]
    email = normalise.clean_line(data.email)[:EMAIL_MAX] or None
    phone = normalise.clean_line(data.phone) or None
    email_key = normalise.email_key(email)
    digits = normalise.phone_digits(phone)
    message = normalise.clean_text(data.message)[:MESSAGE_MAX]
    attribution = data.attribution

    try:
        with write_transaction():
            existing = _existing_submission(key)
            if existing:
                return existing
            _lock_identity([k for k in (email_key, digits) if k])
            lead = _find_existing_lead(email_key, digits)
            created = lead is None
            reopened = False
            if lead is None:
                lead = Lead(
                    created_at=now,
                    first_inquiry_at=now,
                    status="new",
                    source=attribution.source(),
                    inquiry_count=0,
                    attempts=0,
                )
                db.session.add(lead)
            elif is_closed(lead.status):
                reopened = True
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
            lead.name = name
            lead.name_key = normalise.fold(name)
            if email:
                lead.email, lead.email_key = email, email_key
            if phone:
                lead.phone, lead.phone_digits = phone, digits
            lead.condition_slug = data.condition_slug
            lead.preferred_contact = data.preferred_contact
            lead.best_time = data.best_time
            lead.payment = data.payment
            lead.last_inquiry_at = now
            lead.last_activity_at = now
            lead.inquiry_count = (lead.inquiry_count or 0) + 1
            db.session.flush()

            inquiry = Inquiry(
                lead_id=lead.id,
                created_at=now,
                idempotency_key=key,
                name=name,
                email=email,
                phone=phone,
                condition_slug=data.condition_slug,
                message=message,
                preferred_contact=data.preferred_contact,
                best_time=data.best_time,
                payment=data.payment,
                consent_version=CONSENT_VERSION,
                consent_at=now,
                consent_page=_clip(data.consent_page, URL_MAX) or "/inquire",
                sms_consent=bool(data.sms_consent),
                utm_source=_clip(attribution.utm_source, ATTRIBUTION_MAX),
                utm_medium=_clip(attribution.utm_medium, ATTRIBUTION_MAX),
                utm_campaign=_clip(attribution.utm_campaign, ATTRIBUTION_MAX),
                utm_term=_clip(attribution.utm_term, ATTRIBUTION_MAX),
                utm_content=_clip(attribution.utm_content, ATTRIBUTION_MAX),
                referrer=_clip(attribution.referrer, URL_MAX),
                landing_page=_clip(attribution.landing_page, URL_MAX),
                submitted_from=_clip(data.submitted_from, URL_MAX),
            )
            db.session.add(inquiry)
            db.session.flush()
            db.session.add(
                LeadEvent(lead_id=lead.id, created_at=now, kind="inquiry", inquiry_id=inquiry.id)
            )
            queue_inquiry_notifications(lead, inquiry, created, now=now)
            after_inquiry_recorded(lead, inquiry, created, now=now)
            return IntakeResult(inquiry, lead, created_lead=created, reopened=reopened)
    except IntegrityError:
        # A concurrent request with the same form token won the race: report its inquiry.
        existing = _existing_submission(key)
        if existing is None:
            raise
        return existing
