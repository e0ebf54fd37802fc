"""What assignment does when an inquiry is stored.

A first-time person's owner is chosen before their lead is written (:func:`owner_for_new_lead`,
which the view hands to intake), so the lead goes into the table and its indexes once, already
assigned: assigning it after the insert would write the owner indexes and status-tab counts
twice and load the lead back, a large share of an inquiry's cost. A returning person's lead is
dealt out after the inquiry is stored (:func:`on_inquiry_recorded`), when it has no active owner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app

from clinic.automation.assignment import anyone_active, assign_new_lead, take_turn
from clinic.extensions import db
from clinic.leads.intake import PickedOwner
from clinic.models import Lead


def owner_for_new_lead(condition_slug: str) -> PickedOwner | None:
    """Whose turn it is for a first-time person's lead, unless CLINIC_AUTO_ASSIGN is off or
    nobody active can take it. Call inside intake's transaction: it moves the pool's turn on."""
    if not current_app.config["CLINIC_AUTO_ASSIGN"]:
        return None
    # No anyone_active() first: in a clinic someone always is, and the pool's reads find it.
    turn = take_turn(condition_slug)
    return PickedOwner(turn.owner.id, turn.note()) if turn else None


def on_inquiry_recorded(
    sender: Flask, *, lead_id: int, created_lead: bool, now: datetime, **_: Any
) -> None:
    """Intake's receiver: a returning lead is assigned unless its owner is still active or
    CLINIC_AUTO_ASSIGN is off; it is loaded only when someone active could take it."""
    if created_lead or not current_app.config["CLINIC_AUTO_ASSIGN"] or not anyone_active():
        return
    assign_new_lead(db.session.get(Lead, lead_id), created_lead=False, now=now)
