"""Merging two leads of the same person: one record keeps everything, the other points to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from clinic import audit
from clinic.extensions import db
from clinic.leads import counts, derived, facts
from clinic.leads.actions import LeadActionError, check_workable
from clinic.leads.identity import resolve_marks_on_merge
from clinic.models import Appointment, Inquiry, Lead, LeadEvent, StaffUser, utcnow


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    present = [value for value in (first, second) if value is not None]
    return min(present) if present else None


def merge_leads(
    keep: Lead, duplicate: Lead, actor: StaffUser, *, now: datetime | None = None
) -> Lead:
    """Move the duplicate's inquiries, timeline and appointments onto ``keep`` and close the
    duplicate.

    ``keep`` keeps its own contact details, filling only the ones it lacks, and the earliest
    first inquiry and first contact, so speed to lead stays honest. The duplicate stays as a
    closed record (lost, duplicate) pointing at ``keep`` so old links and audit rows still work.
    A "possible same person" mark between the two is settled by the merge (the audit log says
    so); other marks follow the person to ``keep``. Both leads should be locked by the caller
    (``leads_for_update``).

    :raise LeadActionError: merging a lead into itself, or an erased or already merged lead.
    """
    now = now or utcnow()
    if keep.id == duplicate.id:
        raise LeadActionError("A lead can't be merged into itself; enter the other lead's number.")
    check_workable(keep)
    check_workable(duplicate)
    counted = (counts.key_of(keep), counts.key_of(duplicate))

    db.session.execute(
        update(Inquiry).where(Inquiry.lead_id == duplicate.id).values(lead_id=keep.id)
    )
    db.session.execute(
        update(LeadEvent).where(LeadEvent.lead_id == duplicate.id).values(lead_id=keep.id)
    )
    db.session.execute(
        update(Appointment).where(Appointment.lead_id == duplicate.id).values(lead_id=keep.id)
    )
    # Leads merged into the duplicate earlier now point straight at the one that remains.
    db.session.execute(
        update(Lead).where(Lead.merged_into_id == duplicate.id).values(merged_into_id=keep.id)
    )

    keep.first_inquiry_at = min(keep.first_inquiry_at, duplicate.first_inquiry_at)
    keep.first_contacted_at = _earliest(keep.first_contacted_at, duplicate.first_contacted_at)
    facts.refresh_speed(keep)
    keep.last_inquiry_at = max(keep.last_inquiry_at, duplicate.last_inquiry_at)
    keep.inquiry_count = (keep.inquiry_count or 0) + (duplicate.inquiry_count or 0)
    keep.attempts = (keep.attempts or 0) + (duplicate.attempts or 0)
    if not keep.email and duplicate.email:
        keep.email, keep.email_key = duplicate.email, duplicate.email_key
    if not keep.phone and duplicate.phone:
        keep.phone, keep.phone_digits = duplicate.phone, duplicate.phone_digits
    if keep.owner_id is None:
        keep.owner_id = duplicate.owner_id
    if keep.follow_up_on is None:
        keep.follow_up_on, keep.follow_up_time = duplicate.follow_up_on, duplicate.follow_up_time
    keep.last_activity_at = now
    # The report funnel counts the furthest stage either record of this person reached.
    keep.furthest_stage = max(keep.furthest_stage or 0, duplicate.furthest_stage or 0)

    settled = resolve_marks_on_merge(keep, duplicate)
    from_status = duplicate.status
    duplicate.merged_into_id = keep.id
    duplicate.status = "lost"
    duplicate.lost_reason = "duplicate"
    duplicate.follow_up_on = duplicate.follow_up_time = None
    duplicate.inquiry_count = 0
    duplicate.attempts = 0
    duplicate.last_activity_at = now
    # ``keep`` may take the duplicate's owner; the duplicate leaves the tabs.
    counts.move((counted[0], counts.key_of(keep)), (counted[1], counts.key_of(duplicate)))

    db.session.add_all(
        [
            LeadEvent(
                lead_id=keep.id,
                created_at=now,
                actor_id=actor.id,
                kind="merge",
                body=f"Lead #{duplicate.id} merged into this one",
            ),
            LeadEvent(
                lead_id=duplicate.id,
                created_at=now,
                actor_id=actor.id,
                kind="merge",
                from_status=from_status,
                to_status="lost",
                body=f"Merged into lead #{keep.id}",
            ),
        ]
    )
    mark = "; they were marked as possibly the same person" if settled else ""
    audit.record(
        "lead_merged",
        lead_id=keep.id,
        actor=actor,
        detail=f"lead {duplicate.id} merged into this{mark}",
    )
    audit.record(
        "lead_merged", lead_id=duplicate.id, actor=actor, detail=f"merged into lead {keep.id}{mark}"
    )
    # The timelines were moved in one statement: the stays and attempts read from them are
    # worked out again for both records.
    facts.refresh_timeline_facts([keep.id, duplicate.id])
    derived.refresh_messages([keep.id, duplicate.id])
    return keep
