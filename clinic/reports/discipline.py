"""Follow-up discipline and pipeline flow: persistence before reaching someone, leads gone
quiet, overdue follow-ups, how long leads sit in each stage, and why they are lost."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import and_, func, literal, select

from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.leads.sql import unindexed
from clinic.leads.stale import count_stale_by_owner
from clinic.models import Lead, LeadEvent
from clinic.reports.queries import ReportFilters, is_long, lead_scope, staff_names
from clinic.reports.sql import in_index
from clinic.reports.stats import OVERALL, Spread, spreads

DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class AttemptsBeforeReach:
    """Among leads with logged contact attempts: how many tries it took to reach the person."""

    # attempts before the first that reached the person (REACHED_OUTCOMES) → number of leads
    reached_after: dict[int, int]
    not_reached: int

    @property
    def reached(self) -> int:
        return sum(self.reached_after.values())


def attempts_before_reach(filters: ReportFilters) -> AttemptsBeforeReach:
    """Unanswered attempts (no answer, voicemail, wrong number; a message sent or bounced)
    logged before the first one that reached the person (a call answered, a message replied to).

    Read from each lead's ``attempts_before_reach`` (clinic/leads/facts.py); a lead with
    logged attempts and no such number has not been reached yet.
    """
    before = Lead.attempts_before_reach
    attempted = Lead.attempts > literal(0, literal_execute=True)  # ix_leads_attempts_before_reach
    rows = db.session.execute(
        select(before, func.count()).where(*lead_scope(filters), attempted).group_by(before)
    ).all()
    reached_after = {int(tries): leads for tries, leads in rows if tries is not None}
    not_reached = sum(leads for tries, leads in rows if tries is None)
    return AttemptsBeforeReach(dict(sorted(reached_after.items())), not_reached)


@dataclass(frozen=True)
class OwnerWorkload:
    owner_id: int | None
    owner_name: str
    stale: int
    overdue: int
    due_today: int


def workload_by_owner(now: datetime, today: date, stale_days: int, condition: str | None):
    """Per coordinator, right now: leads gone quiet, follow-ups overdue and due today.

    Gone quiet is counted as the Today page counts it (``stale.count_stale_by_owner``);
    follow-ups come from ``ix_leads_open_follow_up`` alone. Neither reads every open lead.
    """
    extra = [Lead.condition_slug == condition] if condition else []
    listed = [Lead.merged_into_id.is_(None), Lead.erased_at.is_(None)]
    stale = count_stale_by_owner(now, stale_days, condition)
    stale = {owner: count for owner, count in stale.items() if count}
    follow_ups = db.session.execute(
        select(
            Lead.owner_id,
            func.count().filter(Lead.follow_up_on < today),
            func.count().filter(Lead.follow_up_on == today),
        )
        .where(
            Lead.follow_up_on <= today,
            unindexed(Lead.status).in_(OPEN_STATUSES),
            *listed,
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
    `new`) to the change that left it, as each status change records it (``stage_seconds``);
    leads still in a stage are not counted for it yet.
    """
    if filters.condition:
        found = spreads(_stays_of_leads(filters))
    else:
        index = "ix_lead_events_stay_order" if is_long(filters) else None
        found = {
            stage: spreads(_stays_by_cohort(filters, stage), grouped=False, index=index)[OVERALL]
            for stage in OPEN_STATUSES
        }
    return {
        stage: in_days(found[stage])
        for stage in OPEN_STATUSES
        if stage in found and found[stage].count
    }


def _stays_by_cohort(filters: ReportFilters, stage: str):
    """One stage's stays of the period's leads, from ``ix_lead_events_stays_by_cohort`` alone:
    each status change carries its lead's ``created_at`` (None once merged, so merged leads are
    left out as everywhere else in the reports)."""
    return select(LeadEvent.stage_seconds.label("v")).where(
        LeadEvent.kind == literal("status", literal_execute=True),
        LeadEvent.from_status == stage,
        LeadEvent.lead_created_at >= filters.start,
        LeadEvent.lead_created_at < filters.end,
    )


def _stays_of_leads(filters: ReportFilters):
    """Every open stage's stays of the period's leads about one condition (which a lead can
    change, so it is read from the lead): the leads first, then each one's status changes from
    ix_lead_events_stage_stays. An outer join keeps SQLite from walking every status change ever
    made instead (leads without one only add NULLs, which the spreads skip), and the stage is
    matched after the seek (SQLite's unary +): one seek per lead, not one per open stage."""
    return (
        select(LeadEvent.from_status.label("grp"), LeadEvent.stage_seconds.label("v"))
        .select_from(Lead)
        .outerjoin(
            LeadEvent,
            and_(
                LeadEvent.lead_id == Lead.id,
                LeadEvent.kind == literal("status", literal_execute=True),
                unindexed(LeadEvent.from_status).in_(OPEN_STATUSES),
            ),
        )
        .where(*lead_scope(filters))
    )


def in_days(spread: Spread) -> Spread:
    """A spread of seconds in days (percentiles scale with their values)."""
    if spread.median is None or spread.p90 is None:
        return spread
    return replace(spread, median=spread.median / DAY_SECONDS, p90=spread.p90 / DAY_SECONDS)


def lost_reasons(filters: ReportFilters) -> list[tuple[str | None, int]]:
    """Why leads of the period were lost, most common first."""
    # 'lost' written into the SQL, so PostgreSQL's plan for it may read ix_leads_lost (whose
    # WHERE names it) however often the statement runs prepared; SQLite is sent to it, as its
    # planner prefers (status, created_at) and the table.
    lost = select(Lead.lost_reason, func.count()).where(
        *lead_scope(filters), Lead.status == literal("lost", literal_execute=True)
    )
    rows = db.session.execute(
        in_index(lost, Lead, "ix_leads_lost")
        .group_by(Lead.lost_reason)
        .order_by(func.count().desc(), Lead.lost_reason)
    ).all()
    return [(reason, count) for reason, count in rows]
