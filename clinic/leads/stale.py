"""Stale leads: open, and nobody has done anything with them for CLINIC_STALE_DAYS days.

Nothing is written when a lead goes stale; it is a fact about time, computed wherever it is
shown (the inbox badge, the count on the staff home page, the follow-up report).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.leads.sql import unindexed
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
    """How many leads have gone quiet, for everyone or for one coordinator."""
    by_owner = count_stale_by_owner(now, days)
    return by_owner.get(owner_id, 0) if owner_id is not None else sum(by_owner.values())


def count_stale_by_owner(
    now: datetime, days: int, condition: str | None = None
) -> dict[int | None, int]:
    """Every owner's count of leads gone quiet (key None: nobody's), optionally for one
    condition.

    Counted as the open leads (exact, from ``lead_counts``) minus those worked on within the
    window, which ``ix_leads_recent_activity`` holds in time order: that reads the window's
    activity (a week of it by default) instead of every open lead."""
    open_rows = select(LeadCount.owner_key, func.sum(LeadCount.leads)).where(
        LeadCount.status.in_(OPEN_STATUSES)
    )
    extra = []
    if condition:
        open_rows = open_rows.where(LeadCount.condition_slug == condition)
        extra.append(Lead.condition_slug == condition)
    open_leads = {
        owner_key or None: int(total)
        for owner_key, total in db.session.execute(open_rows.group_by(LeadCount.owner_key))
    }
    # unindexed: SQLite would otherwise walk every open lead through the status or owner
    # index rather than the few worked on lately through ix_leads_recent_activity.
    owner = unindexed(Lead.owner_id)
    recent = dict(
        db.session.execute(
            select(owner, func.count())
            .where(
                Lead.last_activity_at >= stale_cutoff(now, days),
                unindexed(Lead.status).in_(OPEN_STATUSES),
                Lead.merged_into_id.is_(None),
                Lead.erased_at.is_(None),
                *extra,
            )
            .group_by(owner)
        ).all()
    )
    return {key: total - recent.get(key, 0) for key, total in open_leads.items()}
