"""Stale leads: open, and nobody has done anything with them for CLINIC_STALE_DAYS days.

Nothing is written when a lead goes stale; it is a fact about time, computed wherever it is
shown (the inbox badge, the count on the staff home page, the follow-up report).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from clinic.extensions import db
from clinic.leads import counts
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.models import Lead, LeadCount


def stale_cutoff(now: datetime, days: int) -> datetime:
    """Activity before this instant is too old: the lead has gone quiet."""
    return now - timedelta(days=days)


def stale_clause(now: datetime, days: int) -> list[ColumnElement[bool]]:
    """SQL conditions that pick stale leads (merged and erased leads are never stale)."""
    return [
        Lead.status.in_(OPEN_STATUSES),
        Lead.last_activity_at < stale_cutoff(now, days),
        Lead.merged_into_id.is_(None),
        Lead.erased_at.is_(None),
    ]


def is_stale(lead: Lead, now: datetime, days: int) -> bool:
    return (
        lead.status in OPEN_STATUSES
        and lead.merged_into_id is None
        and lead.erased_at is None
        and lead.last_activity_at < stale_cutoff(now, days)
    )


def count_stale(now: datetime, days: int, owner_id: int | None = None) -> int:
    """How many leads have gone quiet, for everyone or for one coordinator.

    Counted as the open leads (exact, from ``lead_counts``) minus those worked on within the
    window, which the ``ix_leads_recent_activity`` index holds in time order: at a million
    leads that reads a few thousand index entries instead of half a million rows."""
    recent = (
        select(func.count())
        .select_from(Lead)
        .where(
            Lead.last_activity_at >= stale_cutoff(now, days),
            Lead.status.in_(OPEN_STATUSES),
            Lead.merged_into_id.is_(None),
            Lead.erased_at.is_(None),
        )
    )
    if owner_id is not None:
        recent = recent.where(Lead.owner_id == owner_id)
    open_total = counts.table_total(OPEN_STATUSES, owner_key=owner_id)
    return int(db.session.execute(select(open_total - recent.scalar_subquery())).scalar_one())


def count_stale_by_owner(now: datetime, days: int) -> dict[int, int]:
    """Every owner's count of leads gone quiet (key 0: nobody's), in one pass over the
    recent-activity index: the Today page shows one coordinator's and the clinic's."""
    owner_key = func.coalesce(Lead.owner_id, 0)
    recent = dict(
        db.session.execute(
            select(owner_key, func.count())
            .where(
                Lead.last_activity_at >= stale_cutoff(now, days),
                Lead.status.in_(OPEN_STATUSES),
                Lead.merged_into_id.is_(None),
                Lead.erased_at.is_(None),
            )
            .group_by(owner_key)
        ).all()
    )
    open_leads = db.session.execute(
        select(LeadCount.owner_key, func.sum(LeadCount.leads))
        .where(LeadCount.status.in_(OPEN_STATUSES))
        .group_by(LeadCount.owner_key)
    ).all()
    return {key: int(total) - recent.get(key, 0) for key, total in open_leads}
