"""Follow-up discipline and pipeline flow: persistence before reaching someone, leads gone
quiet, overdue follow-ups, how long leads sit in each stage, and why they are lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from clinic.automation.stale import stale_clause
from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.models import Lead, LeadEvent
from clinic.reports.queries import ReportFilters, lead_scope, staff_names
from clinic.reports.sql import seconds_between
from clinic.reports.stats import Spread, spreads


@dataclass(frozen=True)
class AttemptsBeforeReach:
    """Among leads with logged contact attempts: how many tries it took to reach the person."""

    # attempts before the first "reached" outcome → number of leads
    reached_after: dict[int, int]
    not_reached: int

    @property
    def reached(self) -> int:
        return sum(self.reached_after.values())


def attempts_before_reach(filters: ReportFilters) -> AttemptsBeforeReach:
    """Unanswered attempts (no answer, voicemail) logged before the first one that reached."""
    numbered = (
        select(
            LeadEvent.lead_id,
            LeadEvent.outcome,
            func.row_number()
            .over(partition_by=LeadEvent.lead_id, order_by=(LeadEvent.created_at, LeadEvent.id))
            .label("n"),
        )
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(
            LeadEvent.kind == "contact",
            # Nothing happens to a lead before it exists; this lets the index narrow the scan.
            LeadEvent.created_at >= filters.start,
            *lead_scope(filters),
        )
        .subquery()
    )
    first_reach = (
        select(
            numbered.c.lead_id,
            func.min(numbered.c.n).filter(numbered.c.outcome == "reached").label("reach"),
        )
        .group_by(numbered.c.lead_id)
        .subquery()
    )
    before = first_reach.c.reach - 1
    rows = db.session.execute(select(before, func.count()).group_by(before)).all()
    reached_after = {int(tries): count for tries, count in rows if tries is not None}
    not_reached = sum(count for tries, count in rows if tries is None)
    return AttemptsBeforeReach(dict(sorted(reached_after.items())), not_reached)


@dataclass(frozen=True)
class OwnerWorkload:
    owner_id: int | None
    owner_name: str
    stale: int
    overdue: int
    due_today: int


def workload_by_owner(now: datetime, today: date, stale_days: int, condition: str | None):
    """Per coordinator, right now: leads gone quiet, follow-ups overdue and due today."""
    extra = [Lead.condition_slug == condition] if condition else []
    stale = dict(
        db.session.execute(
            select(Lead.owner_id, func.count())
            .where(*stale_clause(now, stale_days), *extra)
            .group_by(Lead.owner_id)
        ).all()
    )
    follow_ups = db.session.execute(
        select(
            Lead.owner_id,
            func.count().filter(Lead.follow_up_on < today),
            func.count().filter(Lead.follow_up_on == today),
        )
        .where(
            Lead.status.in_(OPEN_STATUSES),
            Lead.follow_up_on <= today,
            Lead.merged_into_id.is_(None),
            Lead.erased_at.is_(None),
            *extra,
        )
        .group_by(Lead.owner_id)
    ).all()
    due = {owner: (overdue, today_count) for owner, overdue, today_count in follow_ups}
    owners = set(stale) | set(due)
    names = staff_names([owner for owner in owners if owner])
    rows = [
        OwnerWorkload(
            owner,
            names.get(owner, "Unassigned") if owner else "Unassigned",
            stale.get(owner, 0),
            due.get(owner, (0, 0))[0],
            due.get(owner, (0, 0))[1],
        )
        for owner in owners
    ]
    return sorted(rows, key=lambda row: (-(row.overdue + row.stale), row.owner_name))


def time_in_stage(filters: ReportFilters) -> dict[str, Spread]:
    """Days leads spent in each open stage before moving on, from the status history.

    A stay runs from entering the stage (the previous status change, or the first inquiry for
    `new`) to the change that left it; leads still in a stage are not counted for it yet.
    """
    entered = func.lag(LeadEvent.created_at).over(
        partition_by=LeadEvent.lead_id, order_by=(LeadEvent.created_at, LeadEvent.id)
    )
    changes = (
        select(
            LeadEvent.from_status.label("stage"),
            func.coalesce(entered, Lead.created_at).label("entered"),
            LeadEvent.created_at.label("left"),
        )
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(
            LeadEvent.kind == "status", LeadEvent.created_at >= filters.start, *lead_scope(filters)
        )
        .subquery()
    )
    stays = (
        select(
            changes.c.stage.label("grp"),
            (seconds_between(changes.c.entered, changes.c.left) / 86400.0).label("v"),
        )
        .where(changes.c.stage.in_(OPEN_STATUSES))
        .subquery()
    )
    result = spreads(stays)
    return {stage: result[stage] for stage in OPEN_STATUSES if stage in result}


def lost_reasons(filters: ReportFilters) -> list[tuple[str | None, int]]:
    """Why leads of the period were lost, most common first."""
    rows = db.session.execute(
        select(Lead.lost_reason, func.count())
        .where(*lead_scope(filters), Lead.status == "lost")
        .group_by(Lead.lost_reason)
        .order_by(func.count().desc(), Lead.lost_reason)
    ).all()
    return [(reason, count) for reason, count in rows]


def closed_counts(filters: ReportFilters) -> dict[str, int]:
    """How many leads of the period are lost, not candidates, or treated (won)."""
    rows = db.session.execute(
        select(Lead.status, func.count())
        .where(*lead_scope(filters), Lead.status.in_(("lost", "not_a_candidate", "treated")))
        .group_by(Lead.status)
    ).all()
    return dict(rows)
