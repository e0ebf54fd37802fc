"""What happens automatically when an inquiry is stored: attribution, assignment, webhooks."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from clinic.automation.assignment import assign_new_lead
from clinic.automation.webhooks import emit_lead_event
from clinic.extensions import db
from clinic.models import Inquiry, Lead, LeadEvent, utcnow
from clinic.reports.facts import stamp_first_touch


def _reopened_from(lead: Lead, now: datetime) -> str | None:
    """The closed status intake just reopened the lead from, if it did."""
    return db.session.execute(
        select(LeadEvent.from_status)
        .where(
            LeadEvent.lead_id == lead.id,
            LeadEvent.kind == "status",
            LeadEvent.created_at == now,
            LeadEvent.actor_id.is_(None),
        )
        .limit(1)
    ).scalar_one_or_none()


def after_inquiry_recorded(
    lead: Lead, inquiry: Inquiry, created_lead: bool, *, now: datetime | None = None
) -> None:
    """Run inside intake's transaction, after the inquiry is flushed.

    A new lead gets its first-touch attribution for the reports and a ``lead.created`` event; a
    returning lead that had been closed announces its reopening; then the lead is assigned
    (a returning lead stays with its owner) unless CLINIC_AUTO_ASSIGN is off.
    """
    now = now or utcnow()
    if created_lead:
        stamp_first_touch(lead, inquiry)
        emit_lead_event("lead.created", lead, now=now)
    else:
        previous = _reopened_from(lead, now)
        if previous:
            emit_lead_event("lead.status_changed", lead, now=now, previous_status=previous)
    if current_app.config["CLINIC_AUTO_ASSIGN"]:
        assign_new_lead(lead, created_lead, now=now)
