"""What the patient hears when staff book, move or cancel their consultation.

The same emails (with the calendar invitation, and its update or cancellation) that a patient
gets after booking online: a consultation arranged on the phone lands in their calendar too, and
one moved or cancelled by the clinic doesn't leave a stale entry there. Called inside the
caller's transaction, so the email is queued only with the change itself.
"""

from __future__ import annotations

from sqlalchemy import select

from clinic import clock
from clinic.extensions import db
from clinic.models import Appointment, Lead
from clinic.notify import booking_mail, reminders

EMAILED = " The patient is emailed the details and a calendar invitation."


def booked(lead: Lead, appointment: Appointment) -> str:
    """Queue the confirmation; the words to add to the staff message (empty without an email)."""
    if not lead.email:
        return ""
    booking_mail.queue_change(booking_mail.BOOKED, lead, appointment, clock.now())
    return EMAILED


def newest_booked(lead: Lead) -> str:
    """The confirmation of the consultation just booked in this transaction (the newest)."""
    appointment = (
        db.session.execute(
            select(Appointment)
            .where(Appointment.lead_id == lead.id)
            .order_by(Appointment.id.desc())
        )
        .scalars()
        .first()
    )
    return booked(lead, appointment) if appointment is not None else ""


def moved(lead: Lead, appointment: Appointment) -> str:
    reminders.withdraw_pending(appointment.id)  # the reminder's time was for the old slot
    if not lead.email:
        return ""
    booking_mail.queue_change(booking_mail.MOVED, lead, appointment, clock.now())
    return " The patient is emailed the new time and an updated invitation."


def cancelled(lead: Lead, appointment: Appointment) -> str:
    reminders.withdraw_pending(appointment.id)
    if not lead.email:
        return ""
    booking_mail.queue_change(booking_mail.CANCELLED, lead, appointment, clock.now())
    return " The patient is emailed that it is cancelled."
