"""Bulk changes, kept so the last one can be undone.

A bulk change is checked first (:func:`plan_assign`, :func:`plan_status`: what it would do,
changing nothing), then made (:func:`assign`, :func:`change_status`, or :func:`record_change`
for a change made elsewhere, such as dealing out waiting leads). Each lead it changed keeps its
owner, stage and lost reason from before and after, in ``bulk_action_leads``.

:func:`undo` puts back only the leads nobody has touched since, each through
:mod:`clinic.leads.actions` so the timeline, the tab counts, the facts and the audit log follow;
a lead worked, reassigned, moved, merged or erased since is left as it is. Only the person who
made a change may undo it, only their last one, and only for :data:`UNDO_WINDOW`.

These functions add rows to the caller's transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from clinic import audit
from clinic.extensions import db
from clinic.leads import actions, facts
from clinic.leads.actions import BulkResult, LeadActionError
from clinic.leads.pipeline import PipelineError, check_status_change
from clinic.models import BulkAction, BulkActionLead, Lead, StaffUser, utcnow
from clinic.models.base import ID_MAX

# Long enough to notice a mistake and come back to the inbox, short enough that an undo
# rarely meets leads someone has started working.
UNDO_WINDOW = timedelta(minutes=15)


class BulkUndoError(ValueError):
    """The bulk change can't be undone; the message says why, in words fit for staff."""


@dataclass(frozen=True)
class LeadState:
    """What a bulk change may change on a lead, and what an undo compares and puts back."""

    owner_id: int | None
    status: str
    lost_reason: str | None


def state_of(lead: Lead) -> LeadState:
    return LeadState(lead.owner_id, lead.status, lead.lost_reason)


@dataclass
class BulkPlan:
    """What a bulk change would do to the leads it was given, before anything changes."""

    to_change: list[Lead] = field(default_factory=list)
    already: list[Lead] = field(default_factory=list)
    refused: list[Lead] = field(default_factory=list)


@dataclass
class BulkOutcome:
    """What a bulk change did; ``action`` is None when it changed no lead (nothing to undo)."""

    action: BulkAction | None
    result: BulkResult


@dataclass
class UndoResult:
    restored: int = 0
    changed_since: int = 0
    # Their old owner's account was deactivated since, or their old stage is no longer valid.
    cannot_go_back: int = 0


def leads_by_id(lead_ids: Iterable[int]) -> list[Lead]:
    """The leads asked for (at most ``actions.BULK_MAX``), in id order, without locking them:
    for showing what a bulk change would do."""
    ids = sorted({int(lead_id) for lead_id in lead_ids if 0 < int(lead_id) <= ID_MAX})
    if not ids:
        return []
    query = select(Lead).where(Lead.id.in_(ids[: actions.BULK_MAX])).order_by(Lead.id)
    return list(db.session.execute(query).scalars())


def _workable(lead: Lead) -> bool:
    try:
        actions.check_workable(lead)
    except LeadActionError:
        return False
    return True


def _plan(leads: Iterable[Lead], already: Callable[[LeadState], bool]) -> BulkPlan:
    plan = BulkPlan()
    for lead in leads:
        if not _workable(lead):
            plan.refused.append(lead)
        elif already(state_of(lead)):
            plan.already.append(lead)
        else:
            plan.to_change.append(lead)
    return plan


def _check_owner(owner: StaffUser | None) -> None:
    if owner is not None and not owner.active:
        raise LeadActionError(f"{owner.name}'s account is deactivated; choose someone else.")


def _check_status(to_status: str, lost_reason: str | None) -> str | None:
    try:
        return check_status_change(to_status, lost_reason)
    except PipelineError as error:
        raise LeadActionError(str(error)) from error


def plan_assign(leads: Iterable[Lead], owner: StaffUser | None) -> BulkPlan:
    """Which leads assigning to ``owner`` (None: unassigned) would change; changes nothing.

    :raise LeadActionError: when the owner's account is deactivated.
    """
    _check_owner(owner)
    owner_id = owner.id if owner else None
    return _plan(leads, lambda state: state.owner_id == owner_id)


def plan_status(leads: Iterable[Lead], to_status: str, lost_reason: str | None) -> BulkPlan:
    """Which leads moving to ``to_status`` would change; changes nothing.

    :raise LeadActionError: an unknown stage, or `lost` without a known reason.
    """
    reason = _check_status(to_status, lost_reason)
    return _plan(leads, lambda state: (state.status, state.lost_reason) == (to_status, reason))


def leads_word(count: int) -> str:
    return "1 lead" if count == 1 else f"{count} leads"


def assign(
    leads: Sequence[Lead],
    owner: StaffUser | None,
    actor: StaffUser,
    *,
    now: datetime | None = None,
) -> BulkOutcome:
    """Assign the leads (locked by the caller) and keep what changed for an undo.

    :raise LeadActionError: when the owner's account is deactivated (nothing is changed).
    """
    now = now or utcnow()
    before = [state_of(lead) for lead in leads]
    result = actions.bulk_assign(leads, owner, actor, now=now)
    changed = changes(leads, before)
    count = leads_word(len(changed))
    summary = f"Assigned {count} to {owner.name}" if owner else f"Unassigned {count}"
    return BulkOutcome(record_change("assign", actor, summary, changed, now=now), result)


def change_status(
    leads: Sequence[Lead],
    to_status: str,
    actor: StaffUser,
    *,
    lost_reason: str | None = None,
    now: datetime | None = None,
) -> BulkOutcome:
    """Move the leads (locked by the caller) to one stage and keep what changed for an undo.

    :raise LeadActionError: when the stage or reason itself is invalid (nothing is changed).
    """
    now = now or utcnow()
    before = [state_of(lead) for lead in leads]
    result = actions.bulk_change_status(leads, to_status, actor, lost_reason=lost_reason, now=now)
    changed = changes(leads, before)
    reason = lost_reason if to_status == "lost" else None
    stage = actions.describe_status(to_status, reason)
    summary = f"Moved {leads_word(len(changed))} to {stage}"
    return BulkOutcome(record_change("status", actor, summary, changed, now=now), result)


def changes(leads: Sequence[Lead], before: Sequence[LeadState]) -> list[tuple[Lead, LeadState]]:
    """Each lead that is no longer as it was, with how it was."""
    return [(lead, was) for lead, was in zip(leads, before, strict=True) if state_of(lead) != was]


def record_change(
    kind: str,
    actor: StaffUser,
    summary: str,
    changed: Sequence[tuple[Lead, LeadState]],
    *,
    now: datetime,
) -> BulkAction | None:
    """Keep a bulk change made at ``now`` (the moment given to every action it ran), with each
    lead's state before it and after; None when it changed nothing. Audited by counts only."""
    if not changed:
        return None
    action = BulkAction(
        actor_id=actor.id,
        kind=kind,
        summary=summary[:300],
        lead_count=len(changed),
        created_at=now,
    )
    db.session.add(action)
    db.session.flush()
    db.session.add_all(
        BulkActionLead(
            bulk_action_id=action.id,
            lead_id=lead.id,
            previous_owner_id=was.owner_id,
            previous_status=was.status,
            previous_lost_reason=was.lost_reason,
            new_owner_id=lead.owner_id,
            new_status=lead.status,
            new_lost_reason=lead.lost_reason,
        )
        for lead, was in changed
    )
    detail = f"bulk change {action.id} ({kind}): {leads_word(len(changed))} changed"
    audit.record("bulk_changed", actor=actor, detail=detail)
    return action


def last_action(actor_id: int) -> BulkAction | None:
    """The person's latest bulk change, undone or not."""
    query = (
        select(BulkAction)
        .where(BulkAction.actor_id == actor_id)
        .order_by(BulkAction.created_at.desc(), BulkAction.id.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def action_for_update(action_id: int) -> BulkAction | None:
    """The bulk change, locked until the transaction ends, so two undos queue up."""
    if not 0 < action_id <= ID_MAX:
        return None
    query = select(BulkAction).where(BulkAction.id == action_id).with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def undo_until(action: BulkAction) -> datetime:
    return action.created_at + UNDO_WINDOW


def check_undoable(action: BulkAction, actor: StaffUser, now: datetime) -> None:
    """:raise BulkUndoError: someone else's change, already undone, not the person's last one,
    or older than :data:`UNDO_WINDOW`."""
    if action.actor_id != actor.id:
        raise BulkUndoError("Only the person who made a bulk change can undo it.")
    if action.undone_at is not None:
        raise BulkUndoError("That bulk change has already been undone.")
    latest = last_action(actor.id)
    if latest is None or latest.id != action.id:
        raise BulkUndoError("Only your last bulk change can be undone, and you have made another.")
    if now > undo_until(action):
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise BulkUndoError(f"Too late to undo: a bulk change can be undone for {minutes} minutes.")


def _as_left(lead: Lead, row: BulkActionLead, made_at: datetime) -> bool:
    """Whether the lead is still as the bulk change left it, with nothing done to it since."""
    if not _workable(lead):
        return False
    if state_of(lead) != LeadState(row.new_owner_id, row.new_status or "", row.new_lost_reason):
        return False
    return lead.last_activity_at is None or lead.last_activity_at <= made_at


def _put_back(
    lead: Lead, row: BulkActionLead, actor: StaffUser, made_at: datetime, now: datetime
) -> None:
    """Give the lead its owner and stage from before the bulk change.

    :raise LeadActionError: the old owner's account is deactivated, or the old stage is no
        longer valid; checked before anything changes.
    """
    owner = db.session.get(StaffUser, row.previous_owner_id) if row.previous_owner_id else None
    if row.previous_owner_id is not None and owner is None:
        raise LeadActionError("The lead's previous owner no longer has an account.")
    moves_owner = row.previous_owner_id != lead.owner_id
    moves_stage = (row.previous_status, row.previous_lost_reason) != (
        lead.status,
        lead.lost_reason,
    )
    if moves_owner:
        _check_owner(owner)
    if moves_stage:
        _check_status(row.previous_status or "", row.previous_lost_reason)
    if moves_owner:
        actions.assign_owner(lead, owner, actor, now=now)
    if moves_stage:
        actions.change_status(
            lead, row.previous_status or "", actor, lost_reason=row.previous_lost_reason, now=now
        )
        # Leaving `new` in the bulk change stamped a first contact that never happened; it is
        # the bulk change's own stamp only when nothing was done to the lead since.
        if row.previous_status == "new" and lead.first_contacted_at == made_at:
            lead.first_contacted_at = None
            facts.refresh_speed(lead)


def undo(action: BulkAction, actor: StaffUser, *, now: datetime | None = None) -> UndoResult:
    """Put back the leads the bulk change (locked by the caller) left untouched; audited by
    counts only.

    :raise BulkUndoError: when it can't be undone (see :func:`check_undoable`).
    """
    now = now or utcnow()
    check_undoable(action, actor, now)
    rows = list(
        db.session.execute(
            select(BulkActionLead)
            .where(BulkActionLead.bulk_action_id == action.id)
            .order_by(BulkActionLead.lead_id)
        ).scalars()
    )
    # Locked in id order, like every bulk change, so two of them never wait on each other.
    locked = select(Lead).where(Lead.id.in_([row.lead_id for row in rows])).order_by(Lead.id)
    leads = {lead.id: lead for lead in db.session.execute(locked.with_for_update()).scalars()}
    result = UndoResult()
    for row in rows:
        lead = leads.get(row.lead_id)
        if lead is None or not _as_left(lead, row, action.created_at):
            result.changed_since += 1
            continue
        try:
            _put_back(lead, row, actor, action.created_at, now)
        except LeadActionError:
            result.cannot_go_back += 1
            continue
        result.restored += 1
    action.undone_at = now
    action.undone_by_id = actor.id
    detail = (
        f"bulk change {action.id} ({action.kind}): {result.restored} put back, "
        f"{result.changed_since} changed since and left alone, "
        f"{result.cannot_go_back} could not go back"
    )
    audit.record("bulk_undone", actor=actor, detail=detail)
    return result
