"""Per-lead facts the reports read, kept on the lead so every report aggregates in SQL.

These would otherwise need a join, a window over the timeline or a Python loop over every
lead of a year:
- ``furthest_stage``: the furthest pipeline stage ever reached. It only grows, so a lead that
  booked a consult and was then lost still counts as a booked consult in the funnel.
- ``business_seconds_to_contact``: the wait until first contact in clinic business time.
- ``first_campaign`` / ``first_article`` / ``first_landing_page``: the first inquiry's attribution.
- ``attempts_before_reach``: unanswered contact attempts (no answer, voicemail, wrong number;
  a message sent or bounced) logged before the first that reached the person (a call answered,
  a message replied to); None until someone is reached.
- ``LeadEvent.stage_seconds`` on each status change: how long the lead spent in the stage it
  left, from the previous status change on its timeline (or its first inquiry), and
  ``LeadEvent.lead_created_at``, the lead's own ``created_at`` (None once merged), by which the
  stage report picks a period's stays without joining the leads.

The functions that change a lead (intake, actions, merge) call these in their own transaction.
Rows written around them (bulk loads) are put right by ``flask reports backfill``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Update, and_, case, func, or_, select, update
from sqlalchemy.orm import aliased

from clinic import clock
from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads.pipeline import REACHED_OUTCOMES, stage_rank
from clinic.leads.sql import seconds_between
from clinic.models import Lead, LeadEvent

PATH_MAX = 200


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


def reach_stage(lead: Lead, status: str | None) -> None:
    """Raise the lead's furthest stage to ``status`` when that is further down the funnel."""
    rank = stage_rank(status)
    if rank is not None and rank > (lead.furthest_stage or 0):
        lead.furthest_stage = rank


def business_seconds_to_contact(
    first_inquiry_at: datetime | None,
    first_contacted_at: datetime | None,
    calendar: BusinessCalendar,
) -> int | None:
    """Speed to lead in business seconds; None while the lead waits for its first contact."""
    if first_inquiry_at is None or first_contacted_at is None:
        return None
    return calendar.seconds_between(first_inquiry_at, first_contacted_at)


def refresh_speed(lead: Lead) -> None:
    """Work out the lead's speed to lead again after its first inquiry or contact moved.

    An imported lead has none: it wrote to another system, and nobody here was answering it.
    """
    if lead.import_batch_id is not None:
        lead.business_seconds_to_contact = None
        return
    lead.business_seconds_to_contact = business_seconds_to_contact(
        lead.first_inquiry_at, lead.first_contacted_at, clock.business_calendar()
    )


def _earlier(other: type[LeadEvent], event: type[LeadEvent]) -> ColumnElement[bool]:
    """``other`` comes before ``event`` on the timeline (same moment: the older row first)."""
    return or_(
        other.created_at < event.created_at,
        and_(other.created_at == event.created_at, other.id < event.id),
    )


def stage_seconds_update(*where: ColumnElement[bool]) -> Update:
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


def attempts_before_reach_update(*where: ColumnElement[bool]) -> Update:
    """UPDATE setting each lead's (meeting ``where``) contact attempts logged before the first
    one that reached the person (``REACHED_OUTCOMES``), or None when none did."""
    reach, tie, attempt = aliased(LeadEvent), aliased(LeadEvent), aliased(LeadEvent)
    reached = [
        reach.lead_id == Lead.id,
        reach.kind == "contact",
        reach.outcome.in_(REACHED_OUTCOMES),
    ]
    # Nested subqueries all refer to the lead being updated (explicit correlation).
    first_at = select(func.min(reach.created_at)).where(*reached).correlate(Lead).scalar_subquery()
    first_id = (
        select(func.min(tie.id))
        .where(
            tie.lead_id == Lead.id,
            tie.kind == "contact",
            tie.outcome.in_(REACHED_OUTCOMES),
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


def refresh_timeline_facts(lead_ids: Iterable[int]) -> None:
    """Recompute attempts before reach and the stays in each stage of these leads' timelines
    from the rows as they now stand (a change logged out of order moves its neighbours' too),
    and forget the loaded copies of those values so they are read again."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    session = db.session
    session.flush()
    connection = session.connection()
    connection.execute(stage_seconds_update(LeadEvent.lead_id.in_(ids)))
    connection.execute(attempts_before_reach_update(Lead.id.in_(ids)))
    wanted = set(ids)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Lead) and instance.id in wanted:
            session.expire(instance, ["attempts_before_reach"])
        elif isinstance(instance, LeadEvent) and instance.lead_id in wanted:
            session.expire(instance, ["stage_seconds", "lead_created_at"])
