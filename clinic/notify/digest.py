"""The daily digest: each coordinator's due and overdue follow-ups, as counts and a link.

Names and conditions stay in the dashboard; the email only says how many people are waiting.
Running it twice on the same day queues nothing new, so a retried cron job is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from sqlalchemy import case, func, select

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.models import Lead, OutboxMessage, StaffUser
from clinic.notify import outbox

DIGEST = "digest"


@dataclass(frozen=True)
class DigestCounts:
    staff_id: int
    overdue: int
    due_today: int


def follow_up_counts(today: date) -> list[DigestCounts]:
    """Per active staff member with open, unerased leads due today or earlier."""
    overdue = func.sum(case((Lead.follow_up_on < today, 1), else_=0))
    due_today = func.sum(case((Lead.follow_up_on == today, 1), else_=0))
    rows = db.session.execute(
        select(Lead.owner_id, overdue, due_today)
        .join(StaffUser, StaffUser.id == Lead.owner_id)
        .where(
            StaffUser.active.is_(True),
            Lead.status.in_(OPEN_STATUSES),
            Lead.erased_at.is_(None),
            Lead.merged_into_id.is_(None),
            Lead.follow_up_on <= today,
        )
        .group_by(Lead.owner_id)
        .order_by(Lead.owner_id)
    ).all()
    return [DigestCounts(owner_id, int(late or 0), int(due or 0)) for owner_id, late, due in rows]


def _already_sent_today(recipient: str, today: date) -> bool:
    start_of_day = clock.local_midnight(today)
    found = db.session.execute(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == DIGEST,
            OutboxMessage.recipient_key == outbox.recipient_key_for(recipient),
            OutboxMessage.created_at >= start_of_day,
        )
        .limit(1)
    ).first()
    return found is not None


def queue_daily_digests(now: datetime | None = None) -> list[OutboxMessage]:
    """Queue one digest per coordinator who has follow-ups due; none for an empty list."""
    now = now or clock.now()
    today = clock.today(now)
    link = f"{current_app.config['CLINIC_PUBLIC_URL']}/staff/"
    queued = []
    with write_transaction():
        for counts in follow_up_counts(today):
            staff = db.session.get(StaffUser, counts.staff_id)
            if staff is None or _already_sent_today(staff.email, today):
                continue
            total = counts.overdue + counts.due_today
            queued.append(
                outbox.queue(
                    DIGEST,
                    staff.email,
                    subject=f"Your follow-ups for {today:%-d %B}: {total} waiting",
                    body=render_template("email/digest.txt", counts=counts, today=today, link=link),
                    now=now,
                )
            )
    return queued
