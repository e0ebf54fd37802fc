"""Erasure on request: the person's details go, the counts the clinic reports on stay."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import or_, select, update

from clinic import audit
from clinic.extensions import db
from clinic.leads import counts, signals
from clinic.leads.derived import compact_search, refresh_messages
from clinic.leads.identity import clear_marks
from clinic.models import Appointment, Inquiry, Lead, LeadEvent, StaffUser, utcnow

TOMBSTONE = "Erased"
# Timeline entries whose text a person typed (and may hold health details); the others are
# sentences the system wrote ("Assigned to …", "Merged into lead #…") and stay readable.
TYPED_EVENT_KINDS = ("note", "contact")


def _site_path(url: str | None) -> str | None:
    """Keep where on the site it happened; drop query strings, which can carry an address."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _host_only(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")) or None


def _with_merged(lead: Lead) -> list[Lead]:
    """The lead and every lead merged into it: the duplicates still hold the same details."""
    found = [lead]
    frontier = [lead.id]
    while frontier:
        rows = (
            db.session.execute(
                select(Lead).where(Lead.merged_into_id.in_(frontier)).with_for_update()
            )
            .scalars()
            .all()
        )
        rows = [row for row in rows if row not in found]
        found.extend(rows)
        frontier = [row.id for row in rows]
    return found


def _tombstone(lead: Lead, now: datetime) -> None:
    lead.name = TOMBSTONE
    lead.name_key = ""
    lead.email = lead.email_key = None
    lead.phone = lead.phone_digits = None
    lead.preferred_contact = lead.best_time = lead.payment = None
    lead.follow_up_on = lead.follow_up_time = None
    lead.erased_at = now
    lead.last_activity_at = now


def erase_lead(
    lead: Lead, actor: StaffUser | None, now: datetime | None = None, *, compact: bool = True
) -> Lead:
    """Replace the person's name, contact details and messages with a tombstone.

    The lead keeps its id, dates, status, condition and source so reports still add up, and
    the intake no longer matches it, so a later inquiry from the same address starts a new
    lead, and "possible same person" marks on it or against it go. Leads merged into this one
    are erased with it, and messages about them that have not left yet are deleted (they hold
    the address). Their consultations lose location and note, and those still booked are
    cancelled. Erasing twice changes nothing.
    ``actor`` None means the system did it (the retention purge). The search indexes are then
    rewritten without the old words (derived.compact_search); ``compact=False`` leaves that to
    a caller erasing many leads, to do once at the end.
    """
    if lead.erased_at is not None:
        return lead
    now = now or utcnow()
    group = _with_merged(lead)
    ids = [member.id for member in group]
    with counts.tracking(*group):
        for member in group:
            _tombstone(member, now)
    clear_marks(ids)

    inquiries = db.session.execute(select(Inquiry).where(Inquiry.lead_id.in_(ids))).scalars()
    for inquiry in inquiries:
        inquiry.name = TOMBSTONE
        inquiry.email = inquiry.phone = None
        inquiry.message = TOMBSTONE if inquiry.message else ""
        inquiry.preferred_contact = inquiry.best_time = inquiry.payment = None
        inquiry.referrer = _host_only(inquiry.referrer)
        inquiry.landing_page = _site_path(inquiry.landing_page)
        inquiry.submitted_from = _site_path(inquiry.submitted_from)
        inquiry.consent_page = _site_path(inquiry.consent_page) or "/"

    # Where and how to meet is typed text (an address, a meeting link, a number); a
    # consultation still booked won't take place with nobody to contact, so it is cancelled.
    db.session.execute(
        update(Appointment)
        .where(Appointment.lead_id.in_(ids), Appointment.status == "booked")
        .values(
            status="cancelled",
            settled_at=now,
            settled_by_id=actor.id if actor else None,
            updated_at=now,
        )
    )
    db.session.execute(
        update(Appointment)
        .where(
            Appointment.lead_id.in_(ids),
            or_(Appointment.location.is_not(None), Appointment.note.is_not(None)),
        )
        .values(location=None, note=None, updated_at=now)
    )
    db.session.execute(
        update(LeadEvent)
        .where(
            LeadEvent.lead_id.in_(ids),
            LeadEvent.kind.in_(TYPED_EVENT_KINDS),
            LeadEvent.body.is_not(None),
        )
        .values(body=TOMBSTONE)
    )
    for member in group:
        db.session.add(
            LeadEvent(
                lead_id=member.id,
                created_at=now,
                actor_id=actor.id if actor else None,
                kind="erasure",
                body="Personal details erased"
                if member is lead
                else f"Erased together with lead #{lead.id}",
            )
        )
        audit.record(
            "lead_erased",
            lead_id=member.id,
            actor=actor,
            actor_email=None if actor else "system",
            detail="personal details erased" if member is lead else f"erased with lead {lead.id}",
        )
    # Its receivers delete the unsent messages about these leads: they hold the address.
    signals.lead_erased.send(
        signals.sender(), lead_ids=ids, actor_id=actor.id if actor else None, now=now
    )
    refresh_messages(ids)
    if compact:
        compact_search(db.session)
    return lead
