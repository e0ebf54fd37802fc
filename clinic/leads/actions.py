"""What coordinators do to a lead. Each change lands on the lead's timeline and in the audit log.

These functions add rows to the caller's transaction and never commit: a view wraps them in
``write_transaction()`` after loading the lead with :func:`lead_for_update`, so two people
working the same lead at once queue up instead of overwriting each other's counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from clinic import audit
from clinic.extensions import db
from clinic.leads import counts, facts, normalise, signals
from clinic.leads.pipeline import (
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    LOST_REASONS,
    OUTCOMES_BY_CHANNEL,
    PipelineError,
    check_status_change,
    counts_as_first_contact,
    status_label,
)
from clinic.models import Lead, LeadEvent, StaffUser, utcnow
from clinic.models.base import ID_MAX

NOTE_MAX = 5000
BULK_MAX = 200


class LeadActionError(ValueError):
    """The change can't be made to this lead; the message says why, in words fit for staff."""


@dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0
    refused: int = 0


def lead_for_update(lead_id: int) -> Lead | None:
    """The lead, locked until the transaction ends (PostgreSQL; SQLite's write lock suffices)."""
    return db.session.execute(
        select(Lead).where(Lead.id == lead_id).with_for_update()
    ).scalar_one_or_none()


def leads_for_update(lead_ids: Iterable[int]) -> list[Lead]:
    """Several leads locked in id order, so two bulk changes never wait on each other in a ring."""
    ids = sorted({int(lead_id) for lead_id in lead_ids if 0 < int(lead_id) <= ID_MAX})[:BULK_MAX]
    if not ids:
        return []
    query = select(Lead).where(Lead.id.in_(ids)).order_by(Lead.id).with_for_update()
    return list(db.session.execute(query).scalars())


def check_workable(lead: Lead) -> None:
    """:raise LeadActionError: when the lead was erased or merged and must not change again."""
    if lead.erased_at is not None:
        raise LeadActionError("This lead's personal details were erased; it can't be changed.")
    if lead.merged_into_id is not None:
        raise LeadActionError(
            f"This lead was merged into lead #{lead.merged_into_id}; work on that one instead."
        )


def _record(
    lead: Lead, actor: StaffUser | None, now: datetime, kind: str, **fields: str | None
) -> LeadEvent:
    actor_id = actor.id if actor else None
    event = LeadEvent(lead_id=lead.id, created_at=now, actor_id=actor_id, kind=kind, **fields)
    db.session.add(event)
    lead.last_activity_at = now
    return event


def _audit(lead: Lead, actor: StaffUser | None, detail: str) -> None:
    # Details name what changed, never what the patient wrote: the audit log holds no health data.
    audit.record("lead_changed", lead_id=lead.id, actor=actor, detail=detail)


def _stamp_first_contact(lead: Lead, now: datetime) -> None:
    if lead.first_contacted_at is None:
        lead.first_contacted_at = now
        facts.refresh_speed(lead)


def change_status(
    lead: Lead,
    to_status: str,
    actor: StaffUser | None,
    *,
    lost_reason: str | None = None,
    now: datetime | None = None,
) -> LeadEvent | None:
    """Move the lead to another stage; None when it is already there (with that reason).

    ``actor`` None means the patient or the system moved it (a consultation booked online),
    which is not the clinic reaching out, so it never stamps the first contact.

    :raise LeadActionError: unknown status, `lost` without a valid reason, erased/merged lead.
    """
    now = now or utcnow()
    check_workable(lead)
    try:
        reason = check_status_change(to_status, lost_reason)
    except PipelineError as error:
        raise LeadActionError(str(error)) from error
    if lead.status == to_status and lead.lost_reason == reason:
        return None
    from_status = lead.status
    if actor is not None and counts_as_first_contact(from_status, to_status, reason):
        _stamp_first_contact(lead, now)
    lead.last_activity_at = now
    body = f"Reason: {LOST_REASONS[reason]}" if reason else None
    event = move_status(lead, to_status, lost_reason=reason, actor=actor, body=body, now=now)
    facts.refresh_timeline_facts([lead.id])
    detail = f"status {from_status} -> {to_status}" + (f" ({reason})" if reason else "")
    _audit(lead, actor, detail)
    return event


def move_status(
    lead: Lead,
    to_status: str,
    *,
    lost_reason: str | None = None,
    actor: StaffUser | None,
    body: str | None = None,
    now: datetime,
) -> LeadEvent:
    """The one place a lead changes stage, so its furthest stage, its timeline and the
    ``lead_status_changed`` signal always follow. It checks nothing: callers decide the move.

    ``actor`` None means the system moved it (intake reopening a closed lead).
    """
    from_status = lead.status
    with counts.tracking(lead):
        lead.status = to_status
    lead.lost_reason = lost_reason
    facts.reach_stage(lead, to_status)
    actor_id = actor.id if actor else None
    event = LeadEvent(
        lead_id=lead.id,
        created_at=now,
        actor_id=actor_id,
        kind="status",
        from_status=from_status,
        to_status=to_status,
        body=body,
    )
    db.session.add(event)
    signals.lead_status_changed.send(
        signals.sender(),
        lead_id=lead.id,
        previous_status=from_status,
        status=to_status,
        actor_id=actor_id,
        now=now,
    )
    return event


def check_contact(channel: str, outcome: str) -> None:
    """:raise LeadActionError: an unknown channel, or an outcome that channel can't have."""
    if channel not in CONTACT_CHANNELS:
        raise LeadActionError("Choose how you contacted the person: call, email or text message.")
    allowed = OUTCOMES_BY_CHANNEL[channel]
    if outcome not in allowed:
        choices = ", ".join(CONTACT_OUTCOMES[choice].lower() for choice in allowed)
        raise LeadActionError(f"Choose what happened: {choices}.")


def contact_note(body: str | None) -> str | None:
    """A contact's note as stored: cleaned, empty as None.

    :raise LeadActionError: a note longer than a note may be.
    """
    note = normalise.clean_text(body)
    if len(note) > NOTE_MAX:
        raise LeadActionError(f"A note can be at most {NOTE_MAX} characters long.")
    return note or None


def log_contact(
    lead: Lead,
    channel: str,
    outcome: str,
    actor: StaffUser,
    *,
    body: str | None = None,
    now: datetime | None = None,
) -> LeadEvent:
    """Record a call, email or text to the person: one more attempt, and maybe the first contact.

    Every outcome counts as an attempt; reached and replied also mean the person was reached
    (``facts.attempts_before_reach_update``).

    :raise LeadActionError: unknown channel, an outcome the channel can't have, a note too
        long, an erased/merged lead.
    """
    now = now or utcnow()
    check_workable(lead)
    check_contact(channel, outcome)
    note = contact_note(body)
    _stamp_first_contact(lead, now)
    lead.attempts = (lead.attempts or 0) + 1
    event = _record(lead, actor, now, "contact", channel=channel, outcome=outcome, body=note)
    facts.refresh_timeline_facts([lead.id])
    _audit(lead, actor, f"contact {channel} {outcome}")
    return event


def add_note(lead: Lead, body: str, actor: StaffUser, *, now: datetime | None = None) -> LeadEvent:
    """:raise LeadActionError: an empty note, or an erased/merged lead."""
    now = now or utcnow()
    check_workable(lead)
    text = normalise.clean_text(body)
    if not text:
        raise LeadActionError("Write the note before adding it.")
    if len(text) > NOTE_MAX:
        raise LeadActionError(f"A note can be at most {NOTE_MAX} characters long.")
    event = _record(lead, actor, now, "note", body=text)
    _audit(lead, actor, "note added")
    return event


def assign_owner(
    lead: Lead, owner: StaffUser | None, actor: StaffUser, *, now: datetime | None = None
) -> LeadEvent | None:
    """Give the lead to a coordinator (None leaves it unassigned); None when nothing changes.

    :raise LeadActionError: a deactivated account, or an erased/merged lead.
    """
    now = now or utcnow()
    check_workable(lead)
    if owner is not None and not owner.active:
        raise LeadActionError(f"{owner.name}'s account is deactivated; choose someone else.")
    new_id = owner.id if owner else None
    if lead.owner_id == new_id:
        return None
    previous = db.session.get(StaffUser, lead.owner_id) if lead.owner_id else None
    was = previous.name if previous else "unassigned"
    body = f"Assigned to {owner.name} (was {was})" if owner else f"Unassigned (was {was})"
    lead.last_activity_at = now
    _audit(lead, actor, f"owner {previous.id if previous else '-'} -> {new_id or '-'}")
    return _assign(lead, new_id, actor=actor, body=body, created=False, now=now)


def assign_automatically(
    lead: Lead, owner_id: int, note: str, *, created: bool, now: datetime
) -> LeadEvent:
    """The system gives the lead to whoever's turn it is; ``note`` says how on the timeline.

    ``created``: the lead is new, not one writing again or left waiting without an owner.
    """
    return _assign(lead, owner_id, actor=None, body=note, created=created, now=now)


def _assign(
    lead: Lead,
    owner_id: int | None,
    *,
    actor: StaffUser | None,
    body: str,
    created: bool,
    now: datetime,
) -> LeadEvent:
    """The one place a lead changes owner, so its timeline and ``lead_assigned`` follow."""
    previous_owner_id = lead.owner_id
    with counts.tracking(lead):
        lead.owner_id = owner_id
    actor_id = actor.id if actor else None
    event = LeadEvent(lead_id=lead.id, created_at=now, actor_id=actor_id, kind="assign", body=body)
    db.session.add(event)
    signals.lead_assigned.send(
        signals.sender(),
        lead_id=lead.id,
        previous_owner_id=previous_owner_id,
        owner_id=owner_id,
        actor_id=actor_id,
        created=created,
        now=now,
    )
    return event


def check_follow_up(on: date | None, at: time | None) -> None:
    """:raise LeadActionError: a time of day given without the day."""
    if at is not None and on is None:
        raise LeadActionError("Choose the follow-up day as well as its time, or clear the time.")


def set_follow_up(
    lead: Lead,
    on: date | None,
    actor: StaffUser | None,
    *,
    at: time | None = None,
    now: datetime | None = None,
) -> LeadEvent | None:
    """Schedule (or with None, clear) the next follow-up, on a day and optionally at a clinic
    wall-clock time; None when neither changes. ``actor`` None: the system set it.

    :raise LeadActionError: a time without a day, an erased/merged lead.
    """
    now = now or utcnow()
    check_workable(lead)
    check_follow_up(on, at)
    at = at.replace(second=0, microsecond=0) if at else None
    if (lead.follow_up_on, lead.follow_up_time) == (on, at):
        return None
    previous, previous_at = lead.follow_up_on, lead.follow_up_time
    lead.follow_up_on, lead.follow_up_time = on, at
    was = follow_up_words(previous, previous_at) if previous else "none"
    body = (
        f"Next follow-up {follow_up_words(on, at)} (was {was})"
        if on
        else f"Follow-up cleared (was {was})"
    )
    event = _record(lead, actor, now, "follow_up", body=body)
    _audit(lead, actor, f"follow-up {_stamp(previous, previous_at)} -> {_stamp(on, at)}")
    return event


def follow_up_words(on: date, at: time | None = None) -> str:
    """A follow-up as the timeline says it: "Mon 4 Mar 2030", or "Mon 4 Mar 2030 at 14:30"."""
    day = on.strftime("%a %-d %b %Y")
    return f"{day} at {at:%H:%M}" if at else day


def _stamp(on: date | None, at: time | None) -> str:
    if on is None:
        return "-"
    return f"{on} {at:%H:%M}" if at else str(on)


def _each(leads: Iterable[Lead], change: Callable[[Lead], LeadEvent | None]) -> BulkResult:
    """Apply one change to many leads, counting what changed; erased or merged ones are skipped."""
    result = BulkResult()
    for lead in leads:
        try:
            event = change(lead)
        except LeadActionError:
            result.refused += 1
            continue
        if event is None:
            result.unchanged += 1
        else:
            result.changed += 1
    return result


def bulk_assign(
    leads: Iterable[Lead],
    owner: StaffUser | None,
    actor: StaffUser,
    *,
    now: datetime | None = None,
) -> BulkResult:
    """Assign every lead given; erased or merged ones are left alone and counted as refused.

    :raise LeadActionError: when the owner's account is deactivated (nothing is changed).
    """
    now = now or utcnow()
    if owner is not None and not owner.active:
        raise LeadActionError(f"{owner.name}'s account is deactivated; choose someone else.")
    return _each(leads, lambda lead: assign_owner(lead, owner, actor, now=now))


def bulk_change_status(
    leads: Iterable[Lead],
    to_status: str,
    actor: StaffUser,
    *,
    lost_reason: str | None = None,
    now: datetime | None = None,
) -> BulkResult:
    """Move every lead given to one stage.

    :raise LeadActionError: when the status or reason itself is invalid (nothing is changed).
    """
    now = now or utcnow()
    try:
        check_status_change(to_status, lost_reason)
    except PipelineError as error:
        raise LeadActionError(str(error)) from error
    return _each(
        leads, lambda lead: change_status(lead, to_status, actor, lost_reason=lost_reason, now=now)
    )


def describe_status(status: str, lost_reason: str | None = None) -> str:
    """The stage in words, with the reason for a lost lead."""
    label = status_label(status)
    return f"{label} ({LOST_REASONS.get(lost_reason, lost_reason)})" if lost_reason else label
