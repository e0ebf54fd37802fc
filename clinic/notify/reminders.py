"""Reminders before a consultation: one the day before (24 hours ahead) and one 2 hours ahead.

The outbox worker queues the due ones each round (``flask outbox work``, ``outbox send``, or
``outbox reminders`` alone). A reminder is queued in one transaction with its row in
``appointment_reminders``, whose key (appointment, kind, start) can be written once: a second
worker, or a worker restarted halfway, queues nothing again. Nothing is sent for a consultation
cancelled, settled or already begun, nor for a lead without an email address, erased or merged.
A reminder whose moment came before the consultation got its time (booked or moved 3 hours
ahead: no "day before" reminder; the confirmation has just gone) is skipped, and once the 2-hour
reminder is due the day-before one is no longer sent. Moving a consultation gives it its
reminders again, for the new time; moving or cancelling it withdraws one still waiting in the
outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, literal, select
from sqlalchemy.exc import IntegrityError

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import Appointment, AppointmentReminder, Lead, OutboxMessage, utcnow
from clinic.models.booking import REMINDER_KINDS
from clinic.notify import booking_mail

# Shortest lead time first: of the kinds whose moment has come, the latest one is due.
_SHORTEST_FIRST = sorted(REMINDER_KINDS.items(), key=lambda item: item[1])
BATCH = 200


@dataclass(frozen=True)
class Due:
    appointment_id: int
    kind: str
    starts_at: datetime


def due_reminders(now: datetime) -> list[Due]:
    """The reminders to queue now, soonest consultation first."""
    horizon = now + timedelta(hours=max(REMINDER_KINDS.values()))
    rows = db.session.execute(
        select(Appointment.id, Appointment.starts_at, Appointment.updated_at)
        .where(
            Appointment.status == literal("booked", literal_execute=True),
            Appointment.starts_at > now,
            Appointment.starts_at <= horizon,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(BATCH)
    ).all()
    if not rows:
        return []
    sent = {
        (appointment_id, kind, starts_at)
        for appointment_id, kind, starts_at in db.session.execute(
            select(
                AppointmentReminder.appointment_id,
                AppointmentReminder.kind,
                AppointmentReminder.starts_at,
            ).where(AppointmentReminder.appointment_id.in_([row.id for row in rows]))
        )
    }
    found = []
    for appointment_id, starts_at, updated_at in rows:
        kind = _kind_due(starts_at, updated_at, now)
        if kind is not None and (appointment_id, kind, starts_at) not in sent:
            found.append(Due(appointment_id, kind, starts_at))
    return found


def _kind_due(starts_at: datetime, updated_at: datetime, now: datetime) -> str | None:
    for kind, hours in _SHORTEST_FIRST:
        due_from = starts_at - timedelta(hours=hours)
        if now >= due_from:
            return None if updated_at >= due_from else kind
    return None


def queue_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder due now; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    for due in due_reminders(now):
        try:
            if _queue_one(due, now):
                queued += 1
        except IntegrityError:
            # Another worker queued this one between our look and our insert.
            continue
    db.session.commit()
    return queued


def _queue_one(due: Due, now: datetime) -> bool:
    with write_transaction():
        appointment = db.session.execute(
            select(Appointment).where(Appointment.id == due.appointment_id).with_for_update()
        ).scalar_one_or_none()
        if (
            appointment is None
            or appointment.status != "booked"
            or appointment.starts_at != due.starts_at
            or appointment.starts_at <= now
        ):
            return False
        already = db.session.get(AppointmentReminder, (due.appointment_id, due.kind, due.starts_at))
        if already is not None:
            return False
        lead = db.session.get(Lead, appointment.lead_id)
        reminder = AppointmentReminder(
            appointment_id=appointment.id, kind=due.kind, starts_at=due.starts_at, queued_at=now
        )
        db.session.add(reminder)
        db.session.flush()
        if lead is None or lead.erased_at or lead.merged_into_id or not lead.email:
            # Kept as done: nobody to remind, and nothing to look at again next round.
            return False
        messages = booking_mail.queue_reminder(lead, appointment, now)
        reminder.outbox_message_id = messages[0].id if messages else None
        return bool(messages)


def withdraw_pending(appointment_id: int) -> int:
    """Delete the appointment's reminders still waiting in the outbox (it was moved or
    cancelled); call inside the change's transaction."""
    waiting = select(AppointmentReminder.outbox_message_id).where(
        AppointmentReminder.appointment_id == appointment_id,
        AppointmentReminder.outbox_message_id.is_not(None),
    )
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(waiting), OutboxMessage.status == "pending")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
