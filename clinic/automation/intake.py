"""What happens automatically when an inquiry is stored: webhooks and assignment."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from clinic.automation.assignment import anyone_active, assign_new_lead
from clinic.automation.webhooks import emit_lead_event, has_subscribers
from clinic.extensions import db
from clinic.models import Lead, utcnow


def after_inquiry_recorded(
    lead_id: int,
    created_lead: bool,
    *,
    reopened_from: str | None = None,
    now: datetime | None = None,
) -> None:
    """Run inside intake's transaction, after the lead and inquiry are written.

    A new lead announces itself as ``lead.created``; a returning lead that intake reopened
    announces the change from ``reopened_from``; then the lead is assigned (a returning lead
    stays with its owner) unless CLINIC_AUTO_ASSIGN is off. Two cheap reads come first, so the
    lead is loaded only when there is an endpoint to tell or someone to assign it to.
    """
    now = now or utcnow()
    event = "lead.created" if created_lead else "lead.status_changed" if reopened_from else None
    announce = event is not None and has_subscribers(event)
    assign = current_app.config["CLINIC_AUTO_ASSIGN"] and anyone_active()
    if not (announce or assign):
        return
    lead = db.session.get(Lead, lead_id)
    if announce:
        extra = {} if created_lead else {"previous_status": reopened_from}
        emit_lead_event(event, lead, now=now, **extra)
    if assign:
        assign_new_lead(lead, created_lead, now=now)
