"""Who gets a new lead: round-robin among active coordinators, or a condition's own team.

A lead that writes again stays with (goes back to) the coordinator who already knows them. Every
automatic assignment lands on the timeline as done by the system (no actor), and is announced to
webhook endpoints as ``lead.assigned``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, text, update

from clinic.extensions import db
from clinic.leads import bulk
from clinic.leads.actions import BulkResult, assign_automatically
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.models import AssignmentCursor, AssignmentRule, Lead, LeadEvent, StaffUser, utcnow
from clinic.models.automation import assignment_rule_members

EVERYONE = "everyone"
# Leads one press of "Assign them now" deals out, oldest first.
DEAL_LIMIT = 500


class AssignmentError(ValueError):
    """An assignment rule can't be saved as asked; the message says why."""


# Built once and run as plain statements: every new lead asks them, and ORM objects (a rule
# with its members, every active account, the pool's cursor) cost more than the reads.
_ANY_ACTIVE_STAFF = select(StaffUser.id).where(StaffUser.active.is_(True)).limit(1)
_ACTIVE_PEOPLE = (
    select(StaffUser.id, StaffUser.name, StaffUser.role)
    .where(StaffUser.active.is_(True))
    .order_by(StaffUser.id)
)
_RULE_TEAM = (
    select(AssignmentRule.id, StaffUser.id, StaffUser.name)
    .join(assignment_rule_members, assignment_rule_members.c.rule_id == AssignmentRule.id)
    .join(StaffUser, StaffUser.id == assignment_rule_members.c.staff_user_id)
    .where(
        AssignmentRule.condition_slug == bindparam("condition_slug"),
        AssignmentRule.active.is_(True),
        StaffUser.active.is_(True),
    )
    .order_by(StaffUser.id)
)
_CURSOR = select(AssignmentCursor.last_staff_user_id).where(
    AssignmentCursor.pool == bindparam("pool_name")
)
_MOVE_CURSOR = (
    update(AssignmentCursor)
    .where(AssignmentCursor.pool == bindparam("pool_name"))
    .values(last_staff_user_id=bindparam("staff_id"), updated_at=bindparam("moved_at"))
)
_NEW_CURSOR = insert(AssignmentCursor)


@dataclass(frozen=True)
class Person:
    """Someone a lead can be dealt to: all assignment needs of an account."""

    id: int
    name: str


def anyone_active() -> bool:
    """Whether any account is active: without one no lead can be assigned (every pool is
    made of active people), which a cheap read tells before any lead is loaded."""
    return db.session.connection().execute(_ANY_ACTIVE_STAFF).first() is not None


def active_coordinators() -> list[Person]:
    """Everyone who takes new leads by default; admins only when there is no coordinator."""
    everyone = db.session.connection().execute(_ACTIVE_PEOPLE).all()
    chosen = [row for row in everyone if row.role == "coordinator"] or everyone
    return [Person(row.id, row.name) for row in chosen]


def pool_for(condition_slug: str) -> tuple[str, list[Person]]:
    """The pool a new lead about this condition is dealt from, and its active members.

    A condition's rule applies while at least one of its members is active; otherwise the lead
    goes to everyone, so a team on holiday never leaves leads waiting.
    """
    team = db.session.connection().execute(_RULE_TEAM, {"condition_slug": condition_slug}).all()
    if team:
        return f"rule:{team[0][0]}", [Person(person_id, name) for _, person_id, name in team]
    return EVERYONE, active_coordinators()


def _lock_pool(pool: str) -> None:
    """Two inquiries at once must not both read the same turn (SQLite's write lock suffices)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"assign:{pool}"}
        )


def next_in_turn(pool: str, people: list[Person]) -> Person:
    """The person after the one who got the pool's last lead (by id, wrapping around); the
    pool's cursor moves on to them."""
    _lock_pool(pool)
    connection = db.session.connection()
    last = connection.execute(_CURSOR, {"pool_name": pool}).scalar() or 0
    chosen = _after(last, people)
    moved = {"pool_name": pool, "staff_id": chosen.id, "moved_at": utcnow()}
    if connection.execute(_MOVE_CURSOR, moved).rowcount == 0:
        values = {"pool": pool, "last_staff_user_id": chosen.id, "updated_at": moved["moved_at"]}
        connection.execute(_NEW_CURSOR, values)
    return chosen


def _after(last_id: int, people: list[Person]) -> Person:
    ordered = sorted(people, key=lambda person: person.id)
    return next((person for person in ordered if person.id > last_id), ordered[0])


def _how(pool: str, condition_slug: str) -> str:
    return "round-robin" if pool == EVERYONE else f"rule for {condition_slug}"


@dataclass(frozen=True)
class Turn:
    """Who is next for a new lead, and by which pool (for the timeline's words)."""

    owner: Person
    how: str  # "round-robin", or "rule for <condition>"

    def note(self, previous: StaffUser | None = None) -> str:
        was = f"was {previous.name}, now deactivated" if previous else "was unassigned"
        return f"Assigned to {self.owner.name} automatically ({self.how}; {was})"


def take_turn(condition_slug: str) -> Turn | None:
    """The next person in turn for a lead about this condition, the pool's turn moved on to
    them; None when nobody active can take it."""
    pool, people = pool_for(condition_slug)
    if not people:
        return None
    return Turn(next_in_turn(pool, people), _how(pool, condition_slug))


def _keeps_owner(lead: Lead) -> bool:
    if lead.owner_id is None:
        return False
    owner = db.session.get(StaffUser, lead.owner_id)
    return owner is not None and owner.active


def assign_new_lead(
    lead: Lead, created_lead: bool, *, now: datetime | None = None
) -> LeadEvent | None:
    """Give a lead that just wrote in to the next coordinator in turn; None when not needed.

    A returning lead whose owner is still active stays theirs. Returns the timeline event of the
    assignment, or None when the lead keeps its owner or nobody can take it (no active staff).
    """
    now = now or utcnow()
    if _keeps_owner(lead):
        return None
    turn = take_turn(lead.condition_slug)
    if turn is None:
        return None
    previous = db.session.get(StaffUser, lead.owner_id) if lead.owner_id else None
    return assign_automatically(
        lead, turn.owner.id, turn.note(previous), created=created_lead, now=now
    )


# An open lead nobody owns (written before anyone could take it, or unassigned since).
_WAITING = (
    Lead.owner_id.is_(None),
    Lead.status.in_(OPEN_STATUSES),
    Lead.merged_into_id.is_(None),
    Lead.erased_at.is_(None),
)


@dataclass(frozen=True)
class Share:
    """How many waiting leads one person would get, and by which pool."""

    name: str
    how: str
    leads: int


@dataclass(frozen=True)
class DealPlan:
    """What "Assign them now" would do: the leads it would deal (the oldest ``DEAL_LIMIT``),
    the newest of them (so the confirmed press deals no lead that arrived after the question),
    and each person's share."""

    leads: int
    newest_id: int | None
    shares: list[Share]


def plan_dealing(*, limit: int = DEAL_LIMIT) -> DealPlan:
    """Who would get each waiting lead if they were dealt out now; changes nothing (no pool's
    turn moves)."""
    rows = db.session.execute(
        select(Lead.id, Lead.condition_slug)
        .where(*_WAITING)
        .order_by(Lead.created_at, Lead.id)
        .limit(limit)
    ).all()
    connection = db.session.connection()
    pools: dict[str, tuple[str, list[Person]]] = {}
    turns: dict[str, int] = {}
    shares: Counter[tuple[str, str]] = Counter()
    for _, condition_slug in rows:
        if condition_slug not in pools:
            pools[condition_slug] = pool_for(condition_slug)
        pool, people = pools[condition_slug]
        if not people:
            continue  # nobody active at all: the lead would stay waiting
        if pool not in turns:
            turns[pool] = connection.execute(_CURSOR, {"pool_name": pool}).scalar() or 0
        person = _after(turns[pool], people)
        turns[pool] = person.id
        shares[(person.name, _how(pool, condition_slug))] += 1
    ordered = sorted(shares.items(), key=lambda item: (item[0][1] != "round-robin", item[0]))
    return DealPlan(
        leads=len(rows),
        newest_id=max((row.id for row in rows), default=None),
        shares=[Share(name, how, count) for (name, how), count in ordered],
    )


def assign_waiting_leads(
    actor: StaffUser,
    *,
    up_to_id: int | None = None,
    now: datetime | None = None,
    limit: int = DEAL_LIMIT,
) -> bulk.BulkOutcome:
    """Deal out the oldest waiting leads (none newer than ``up_to_id``) as their own new leads
    would be; kept as ``actor``'s bulk change, so it can be undone."""
    now = now or utcnow()
    oldest = select(Lead.id).where(*_WAITING)
    if up_to_id is not None:
        oldest = oldest.where(Lead.id <= up_to_id)
    ids = db.session.execute(oldest.order_by(Lead.created_at, Lead.id).limit(limit)).scalars()
    # Locked in id order like every bulk change (no two wait on each other in a ring), and
    # still waiting once locked; then dealt oldest first.
    locked = select(Lead).where(Lead.id.in_(list(ids)), *_WAITING).order_by(Lead.id)
    waiting = sorted(
        db.session.execute(locked.with_for_update()).scalars(),
        key=lambda lead: (lead.created_at, lead.id),
    )
    before = [bulk.state_of(lead) for lead in waiting]
    for lead in waiting:
        assign_new_lead(lead, False, now=now)
    dealt = bulk.changes(waiting, before)
    summary = f"Dealt out {bulk.leads_word(len(dealt))} that were waiting without an owner"
    result = BulkResult(changed=len(dealt), unchanged=len(waiting) - len(dealt))
    return bulk.BulkOutcome(
        bulk.record_change("auto_assign", actor, summary, dealt, now=now), result
    )


def save_rule(condition_slug: str, member_ids: list[int], *, active: bool = True) -> AssignmentRule:
    """Create or replace the team that takes new leads about one condition.

    :raise AssignmentError: no members chosen, or a chosen account is deactivated or unknown.
    """
    if not member_ids:
        raise AssignmentError("Choose at least one coordinator for this condition.")
    people = list(
        db.session.execute(select(StaffUser).where(StaffUser.id.in_(member_ids))).scalars()
    )
    if len(people) != len(set(member_ids)):
        raise AssignmentError("One of the chosen people no longer has an account.")
    inactive = [person.name for person in people if not person.active]
    if inactive:
        raise AssignmentError(f"{', '.join(inactive)}: account deactivated; choose someone else.")
    rule = db.session.execute(
        select(AssignmentRule).where(AssignmentRule.condition_slug == condition_slug)
    ).scalar_one_or_none()
    if rule is None:
        rule = AssignmentRule(condition_slug=condition_slug)
        db.session.add(rule)
    rule.members = sorted(people, key=lambda person: person.id)
    rule.active = active
    db.session.flush()
    return rule


def delete_rule(rule: AssignmentRule) -> None:
    """Stop routing the condition separately: its new leads go to everyone again."""
    cursor = db.session.get(AssignmentCursor, f"rule:{rule.id}")
    if cursor is not None:
        db.session.delete(cursor)
    db.session.delete(rule)


def all_rules() -> list[AssignmentRule]:
    return list(
        db.session.execute(select(AssignmentRule).order_by(AssignmentRule.condition_slug)).scalars()
    )
