"""What happens automatically when an inquiry is stored: webhooks and assignment."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from clinic.automation.assignment import assign_new_lead
from clinic.automation.webhooks import emit_lead_event
from clinic.models import Lead, utcnow


def after_inquiry_recorded(
    lead: Lead,
    created_lead: bool,
    *,
    reopened_from: str | None = None,
    now: datetime | None = None,
) -> None:
    """Run inside intake's transaction, after the lead is flushed.

    A new lead announces itself as ``lead.created``; a returning lead that intake reopened
    announces the change from ``reopened_from``; then the lead is assigned (a returning lead
    stays with its owner) unless CLINIC_AUTO_ASSIGN is off.
    """
    now = now or utcnow()
    if created_lead:
        emit_lead_event("lead.created", lead, now=now)
    elif reopened_from:
        emit_lead_event("lead.status_changed", lead, now=now, previous_status=reopened_from)
    if current_app.config["CLINIC_AUTO_ASSIGN"]:
        assign_new_lead(lead, created_lead, now=now)
