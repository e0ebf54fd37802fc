"""What happens automatically when an inquiry is stored: assignment and webhooks.

A first-time person's owner is chosen before their lead is written (:func:`owner_for_new_lead`),
so the lead goes into the table and its indexes once, already assigned: assigning it after the
insert would write the owner indexes and status-tab counts twice and load the lead back, a
large share of an inquiry's cost.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import insert

from clinic.automation.assignment import Turn, anyone_active, assign_new_lead, take_turn
from clinic.automation.webhooks import emit_lead_event, wanted_events
from clinic.extensions import db
from clinic.models import Lead, LeadEvent, utcnow

_INSERT_EVENT = insert(LeadEvent)


def owner_for_new_lead(condition_slug: str) -> Turn | None:
    """Whose turn it is for a first-time person's lead, unless CLINIC_AUTO_ASSIGN is off or
    nobody active can take it. Call inside intake's transaction: it moves the pool's turn on."""
    if not current_app.config["CLINIC_AUTO_ASSIGN"]:
        return None
    # No anyone_active() first: in a clinic someone always is, and the pool's reads find it.
    return take_turn(condition_slug)


def after_inquiry_recorded(
    lead_id: int,
    created_lead: bool,
    *,
    reopened_from: str | None = None,
    turn: Turn | None = None,
    now: datetime | None = None,
) -> None:
    """Run inside intake's transaction, after the lead and inquiry are written.

    A new lead (inserted with ``turn``'s owner, if any) gets its assignment on the timeline and
    announces itself as ``lead.created`` and ``lead.assigned``. A returning lead that intake
    reopened announces the change from ``reopened_from``, then is assigned unless its owner is
    still active or CLINIC_AUTO_ASSIGN is off. The lead is loaded only when an endpoint wants
    an event or a returning lead may need an owner.
    """
    now = now or utcnow()
    if created_lead:
        _after_new_lead(lead_id, turn, now)
        return
    wanted = wanted_events()
    announce = reopened_from is not None and "lead.status_changed" in wanted
    assign = current_app.config["CLINIC_AUTO_ASSIGN"] and anyone_active()
    if not (announce or assign):
        return
    lead = db.session.get(Lead, lead_id)
    if announce:
        emit_lead_event("lead.status_changed", lead, now=now, previous_status=reopened_from)
    if assign:
        assign_new_lead(lead, created_lead=False, now=now)


def _after_new_lead(lead_id: int, turn: Turn | None, now: datetime) -> None:
    if turn is not None:
        event = {"lead_id": lead_id, "created_at": now, "kind": "assign", "body": turn.note()}
        db.session.connection().execute(_INSERT_EVENT, event)
    happened = ("lead.created", "lead.assigned") if turn is not None else ("lead.created",)
    wanted = wanted_events()
    events = [name for name in happened if name in wanted]
    if not events:
        return
    lead = db.session.get(Lead, lead_id)
    for name in events:
        extra = {"created": True} if name == "lead.assigned" else {}
        emit_lead_event(name, lead, now=now, **extra)
