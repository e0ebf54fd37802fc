"""Putting right the per-lead report facts (clinic.leads.facts) of rows written around the app.

Intake, the coordinators' actions and merges keep the facts as they change a lead. Leads loaded
from outside (bulk imports, an upgraded database) and a change of business hours need them
worked out again over the whole table: ``flask reports backfill``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads import derived
from clinic.leads.facts import attempts_before_reach_update, first_touch, stage_seconds_update
from clinic.leads.pipeline import STAGE_RANK
from clinic.models import Inquiry, Lead, LeadEvent


@dataclass
class BackfillReport:
    stages: int = 0
    speeds: int = 0
    attributions: int = 0
    stays: int = 0
    reaches: int = 0
    searchable: int = 0
    counted: int = 0


def _rank_case(column):
    return case({status: rank for status, rank in STAGE_RANK.items()}, value=column, else_=0)


def backfill(calendar: BusinessCalendar, *, recompute: bool = False, batch: int = 5000):
    """Fill the report facts of leads written around the ORM, or after the hours changed.

    Stages come from the status history and the current status; attribution from each lead's
    first inquiry; speed to lead is computed in batches. The message search and the status
    counts are rebuilt from the rows. Commits per batch.
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

    # Imported leads have no speed to lead (clinic.leads.facts.refresh_speed says why).
    waiting = select(Lead.id, Lead.first_inquiry_at, Lead.first_contacted_at).where(
        Lead.first_contacted_at.is_not(None), Lead.import_batch_id.is_(None)
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

    report.searchable = derived.rebuild_messages()
    report.counted = derived.rebuild_counts()
    db.session.commit()
    return report
