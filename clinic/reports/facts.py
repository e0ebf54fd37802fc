"""Per-lead facts the reports read, kept on the lead so every report aggregates in SQL.

These would otherwise need a join, a window over the timeline or a Python loop over every
lead of a year:
- ``furthest_stage``: the furthest pipeline stage ever reached. It only grows, so a lead that
  booked a consult and was then lost still counts as a booked consult in the funnel.
- ``business_seconds_to_contact``: the wait until first contact in clinic business time.
- ``first_campaign`` / ``first_article`` / ``first_landing_page``: the first inquiry's attribution.
- ``attempts_before_reach``: unanswered contact attempts logged before the first that reached
  the person (None until someone is reached).
- ``LeadEvent.stage_seconds`` on each status change: how long the lead spent in the stage it
  left, from the previous status change on its timeline (or its first inquiry), and
  ``LeadEvent.lead_created_at``, the lead's own ``created_at`` (None once merged), by which the
  stage report picks a period's stays without joining the leads.

The first two follow the lead's own attributes through SQLAlchemy attribute events, so every
code path that changes a status or stamps ``first_contacted_at`` keeps them right without having
to remember to. The two timeline facts are recomputed in SQL for every lead whose contact
attempts or status changes a flush adds (:func:`refresh_timeline_facts`), so a change logged
out of order is right too; a merge, which moves whole timelines in one statement, calls it
itself. Rows written around the ORM (bulk loads) are put right by :func:`backfill`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, and_, case, event, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES, WON_STATUSES
from clinic.models import Inquiry, Lead, LeadEvent
from clinic.reports.business_hours import BusinessCalendar
from clinic.reports.sql import seconds_between

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


def _earlier(other, event) -> ColumnElement[bool]:
    """``other`` comes before ``event`` on the timeline (same moment: the older row first)."""
    return or_(
        other.created_at < event.created_at,
        and_(other.created_at == event.created_at, other.id < event.id),
    )


def stage_seconds_update(*where: ColumnElement[bool]):
    """UPDATE giving each status change (meeting ``where``) the seconds spent in the stage it
    left (since the lead's previous status change, or since its first inquiry) and the time its
    lead first wrote (None for a lead merged into another: its stays count with the other)."""
    previous = aliased(LeadEvent)
    entered = (
        select(func.max(previous.created_at))
        .where(
            previous.lead_id == LeadEvent.lead_id,
            previous.kind == "status",
            _earlier(previous, LeadEvent),
        )
        .scalar_subquery()
    )
    created = select(Lead.created_at).where(Lead.id == LeadEvent.lead_id).scalar_subquery()
    cohort = (
        select(Lead.created_at)
        .where(Lead.id == LeadEvent.lead_id, Lead.merged_into_id.is_(None))
        .scalar_subquery()
    )
    return (
        update(LeadEvent)
        .where(LeadEvent.kind == "status", *where)
        .values(
            stage_seconds=seconds_between(func.coalesce(entered, created), LeadEvent.created_at),
            lead_created_at=cohort,
        )
        .execution_options(synchronize_session=False)
    )


def attempts_before_reach_update(*where: ColumnElement[bool]):
    """UPDATE setting each lead's (meeting ``where``) contact attempts logged before the first
    one that reached the person, or None when none did."""
    reach, tie, attempt = aliased(LeadEvent), aliased(LeadEvent), aliased(LeadEvent)
    reached = [reach.lead_id == Lead.id, reach.kind == "contact", reach.outcome == "reached"]
    # Nested subqueries all refer to the lead being updated (explicit correlation).
    first_at = select(func.min(reach.created_at)).where(*reached).correlate(Lead).scalar_subquery()
    first_id = (
        select(func.min(tie.id))
        .where(
            tie.lead_id == Lead.id,
            tie.kind == "contact",
            tie.outcome == "reached",
            tie.created_at == first_at,
        )
        .correlate(Lead)
        .scalar_subquery()
    )
    before = (
        select(func.count())
        .where(
            attempt.lead_id == Lead.id,
            attempt.kind == "contact",
            or_(
                attempt.created_at < first_at,
                and_(attempt.created_at == first_at, attempt.id < first_id),
            ),
        )
        .correlate(Lead)
        .scalar_subquery()
    )
    return (
        update(Lead)
        .where(*where)
        .values(
            attempts_before_reach=case((first_at.is_(None), None), else_=before),
            updated_at=Lead.updated_at,  # a recomputed fact is not an edit of the lead
        )
        .execution_options(synchronize_session=False)
    )


def refresh_timeline_facts(session: Session, lead_ids: set[int]) -> None:
    """Recompute attempts before reach and the stays in each stage of these leads' timelines,
    and forget the loaded copies of those values so they are read again."""
    if not lead_ids:
        return
    ids = sorted(lead_ids)
    connection = session.connection()
    connection.execute(stage_seconds_update(LeadEvent.lead_id.in_(ids)))
    connection.execute(attempts_before_reach_update(Lead.id.in_(ids)))
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Lead) and instance.id in lead_ids:
            session.expire(instance, ["attempts_before_reach"])
        elif isinstance(instance, LeadEvent) and instance.lead_id in lead_ids:
            session.expire(instance, ["stage_seconds", "lead_created_at"])


TIMELINE_FACT_KINDS = ("contact", "status")


@event.listens_for(Session, "before_flush")
def _note_timeline_changes(session: Session, _context, _instances) -> None:
    added = session.info.setdefault("report_fact_events", [])
    added += [
        instance
        for instance in session.new
        if isinstance(instance, LeadEvent) and instance.kind in TIMELINE_FACT_KINDS
    ]


@event.listens_for(Session, "after_flush_postexec")
def _refresh_timeline_facts(session: Session, _context) -> None:
    added = session.info.pop("report_fact_events", None)
    if added:
        refresh_timeline_facts(session, {event.lead_id for event in added})


@event.listens_for(Session, "after_soft_rollback")
def _forget_timeline_changes(session: Session, _previous) -> None:
    """A flush that failed never wrote its events: nothing to recompute for them later."""
    session.info.pop("report_fact_events", None)


@dataclass
class BackfillReport:
    stages: int = 0
    speeds: int = 0
    attributions: int = 0
    stays: int = 0
    reaches: int = 0


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
                **first_touch(inquiry.utm_campaign, inquiry.submitted_from, inquiry.landing_page),
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

    stays = (
        stage_seconds_update()
        if recompute
        else stage_seconds_update(LeadEvent.stage_seconds.is_(None))
    )
    report.stays = db.session.execute(stays).rowcount or 0
    tried = [Lead.attempts > 0]
    if not recompute:
        tried.append(Lead.attempts_before_reach.is_(None))
    report.reaches = db.session.execute(attempts_before_reach_update(*tried)).rowcount or 0
    db.session.commit()
    return report
