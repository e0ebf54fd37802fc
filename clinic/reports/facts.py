"""Per-lead facts the reports read, kept on the lead so every report aggregates in SQL.

Three things would otherwise need a join or a Python loop over every lead of a year:
- ``furthest_stage``: the furthest pipeline stage ever reached. It only grows, so a lead that
  booked a consult and was then lost still counts as a booked consult in the funnel.
- ``business_seconds_to_contact``: the wait until first contact in clinic business time.
- ``first_campaign`` / ``first_article`` / ``first_landing_page``: the first inquiry's attribution.

The first two follow the lead's own attributes through SQLAlchemy attribute events, so every
code path that changes a status or stamps ``first_contacted_at`` keeps them right without having
to remember to. Rows written around the ORM (bulk loads) are put right by :func:`backfill`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import case, event, func, select, update

from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES, WON_STATUSES
from clinic.models import Inquiry, Lead, LeadEvent
from clinic.reports.business_hours import BusinessCalendar

# The funnel, in order; a lead's rank is the index of the furthest stage it reached.
FUNNEL_STAGES = OPEN_STATUSES + WON_STATUSES
STAGE_RANK = {status: rank for rank, status in enumerate(FUNNEL_STAGES)}
PATH_MAX = 200


@lru_cache(maxsize=8)
def _calendar(hours: str, days: str, timezone: str) -> BusinessCalendar:
    return BusinessCalendar.parse(hours, days, timezone)


def calendar_from(config: Mapping) -> BusinessCalendar:
    """The clinic's business calendar for these settings (parsed once per distinct value)."""
    return _calendar(
        config["CLINIC_BUSINESS_HOURS"], config["CLINIC_BUSINESS_DAYS"], config["CLINIC_TIMEZONE"]
    )


def stage_rank(status: str | None) -> int | None:
    """Position in the funnel; None for closed statuses (lost, not a candidate)."""
    return STAGE_RANK.get(status or "")


def business_seconds_to_contact(
    first_inquiry_at: datetime | None,
    first_contacted_at: datetime | None,
    calendar: BusinessCalendar,
) -> int | None:
    """Speed to lead in business seconds; None while the lead waits for its first contact."""
    if first_inquiry_at is None or first_contacted_at is None:
        return None
    return calendar.seconds_between(first_inquiry_at, first_contacted_at)


def page_path(url: str | None) -> str | None:
    """The path a visitor was on, without query string or host, for grouping pages together."""
    if not url:
        return None
    path = urlsplit(url.strip()).path or "/"
    return path[:PATH_MAX]


def first_touch(
    utm_campaign: str | None, submitted_from: str | None, landing_page: str | None
) -> dict[str, str | None]:
    """A new lead's first-touch facts from its first inquiry: campaign, article, landing page."""
    return {
        "first_campaign": (utm_campaign or "")[:PATH_MAX] or None,
        "first_article": page_path(submitted_from),
        "first_landing_page": page_path(landing_page),
    }


@event.listens_for(Lead.status, "set")
def _status_set(lead: Lead, value: str | None, _old, _initiator) -> None:
    rank = stage_rank(value)
    if rank is not None and rank > (lead.furthest_stage or 0):
        lead.furthest_stage = rank


def _refresh_speed(lead: Lead, first_inquiry_at, first_contacted_at) -> None:
    if not has_app_context():
        return  # outside the app (scripts): `flask reports backfill` fills it in later
    lead.business_seconds_to_contact = business_seconds_to_contact(
        first_inquiry_at, first_contacted_at, calendar_from(current_app.config)
    )


@event.listens_for(Lead.first_contacted_at, "set")
def _first_contacted_set(lead: Lead, value, _old, _initiator) -> None:
    _refresh_speed(lead, lead.first_inquiry_at, value)


@event.listens_for(Lead.first_inquiry_at, "set")
def _first_inquiry_set(lead: Lead, value, _old, _initiator) -> None:
    if lead.first_contacted_at is not None:
        _refresh_speed(lead, value, lead.first_contacted_at)


@dataclass
class BackfillReport:
    stages: int = 0
    speeds: int = 0
    attributions: int = 0


def _rank_case(column):
    return case({status: rank for status, rank in STAGE_RANK.items()}, value=column, else_=0)


def backfill(calendar: BusinessCalendar, *, recompute: bool = False, batch: int = 5000):
    """Fill the report facts of leads written around the ORM, or after the hours changed.

    Stages come from the status history and the current status; attribution from each lead's
    first inquiry; speed to lead is computed in batches. Commits per batch.
    """
    report = BackfillReport()
    history = (
        select(func.max(_rank_case(LeadEvent.to_status)))
        .where(LeadEvent.lead_id == Lead.id, LeadEvent.kind == "status")
        .scalar_subquery()
    )
    current = _rank_case(Lead.status)
    reached = case((func.coalesce(history, 0) > current, history), else_=current)
    result = db.session.execute(
        update(Lead).where(Lead.furthest_stage < reached).values(furthest_stage=reached)
    )
    report.stages = result.rowcount or 0
    db.session.commit()

    first_inquiry = select(func.min(Inquiry.id)).where(Inquiry.lead_id == Lead.id).scalar_subquery()
    missing = select(Lead.id, first_inquiry).where(
        Lead.first_article.is_(None), Lead.first_landing_page.is_(None)
    )
    rows = db.session.execute(missing).all()
    for start in range(0, len(rows), batch):
        chunk = dict(rows[start : start + batch])
        inquiries = db.session.execute(
            select(Inquiry).where(Inquiry.id.in_([i for i in chunk.values() if i]))
        ).scalars()
        values = [
            {
                "id": inquiry.lead_id,
                "first_campaign": (inquiry.utm_campaign or "")[:PATH_MAX] or None,
                "first_article": page_path(inquiry.submitted_from),
                "first_landing_page": page_path(inquiry.landing_page),
            }
            for inquiry in inquiries
        ]
        if values:
            db.session.execute(update(Lead), values)
        report.attributions += len(values)
        db.session.commit()

    waiting = select(Lead.id, Lead.first_inquiry_at, Lead.first_contacted_at).where(
        Lead.first_contacted_at.is_not(None)
    )
    if not recompute:
        waiting = waiting.where(Lead.business_seconds_to_contact.is_(None))
    rows = db.session.execute(waiting).all()
    for start in range(0, len(rows), batch):
        values = [
            {"id": lead_id, "business_seconds_to_contact": calendar.seconds_between(asked, reached)}
            for lead_id, asked, reached in rows[start : start + batch]
        ]
        db.session.execute(update(Lead), values)
        report.speeds += len(values)
        db.session.commit()
    return report
