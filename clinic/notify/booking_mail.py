"""What a patient booking their own consultation is sent: the confirmation, the news of a move
or a cancellation (each with a calendar invitation), a fresh link, and the links themselves.

Every message goes through the outbox in the caller's transaction, so it leaves only if the
booking is saved. Like every email to a patient, none names the condition or repeats what the
patient wrote: when, how, with whom, where, and how to move or cancel. Links are built from
CLINIC_PUBLIC_URL, never from a request's Host header.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select

from clinic import clock
from clinic.extensions import db
from clinic.leads import availability, booking
from clinic.models import Appointment, Lead, OutboxMessage, utcnow
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.notify import ics, outbox
from clinic.profile import current_profile

BOOKED = "booking_confirmed"
MOVED = "booking_moved"
CANCELLED = "booking_cancelled"
REMINDER = "booking_reminder"
FRESH_LINK = "booking_link"
# At most one fresh link per address in this time, so the expired-link page can't be used to
# flood someone's mailbox.
FRESH_LINK_WINDOW = timedelta(hours=1)
_OPEN_KEY = "clinic.booking_is_open"


def book_url(token: str) -> str:
    return f"{current_app.config['CLINIC_PUBLIC_URL']}/book/{token}"


def manage_url(token: str) -> str:
    return f"{current_app.config['CLINIC_PUBLIC_URL']}/booking/{token}"


def booking_link_for(lead_id: int, inquiry_id: int) -> str:
    return book_url(booking.booking_token(lead_id, inquiry_id))


def booking_is_open() -> bool:
    """Whether any time is free to book now: the thanks page and the acknowledgement offer the
    link only then. A yes is kept per process as long as the booking settings are; a no is
    asked again each time (cheap: no hours, no slots), so hours an admin adds show at once."""
    store = current_app.extensions.setdefault(_OPEN_KEY, {})
    now = time.monotonic()
    if store.get("until", 0.0) > now:
        return True
    if not availability.free_slots(now=utcnow()):
        return False
    store["until"] = now + current_app.config["CLINIC_BOOKING_SETTINGS_CACHE_SECONDS"]
    return True


@dataclass(frozen=True)
class Described:
    """A consultation in the patient's words, for pages and emails alike."""

    day: str  # 'Thursday 10 December 2026'
    times: str  # '9:00 am – 9:30 am'
    zone: str  # 'New York time'
    clinic_times: str | None  # the clinic's own, when the patient's zone differs
    kind: str  # 'phone call'
    host: str | None
    how: str  # where it happens, or how the call or video call reaches the patient


KIND_WORDS = {"phone": "phone call", "video": "video call", "in_person": "visit to the clinic"}


def describe(appointment: Appointment, zone_name: str | None = None) -> Described:
    """``zone_name``: the patient's zone (defaults to the one they booked in)."""
    zone = booking.patient_zone(zone_name or appointment.timezone_hint)
    start = appointment.starts_at
    end = booking.ends_at(appointment)
    clinic_zone = clock.zone()
    clinic_times = None
    if start.astimezone(zone).utcoffset() != start.astimezone(clinic_zone).utcoffset():
        clinic_times = (
            f"{booking.span_words(start, end, clinic_zone)} {booking.zone_words(clinic_zone)}"
        )
    host = None
    if appointment.host_id is not None:
        host = booking.host_names([appointment.host_id]).get(appointment.host_id)
    return Described(
        day=booking.day_words(start, zone, year=True),
        times=booking.span_words(start, end, zone),
        zone=booking.zone_words(zone),
        clinic_times=clinic_times,
        kind=KIND_WORDS.get(appointment.kind, APPOINTMENT_KINDS.get(appointment.kind, "")),
        host=host,
        how=how_words(appointment),
    )


def how_words(appointment: Appointment) -> str:
    profile = current_profile()
    if appointment.kind == "phone":
        return "We will call you on the phone number you gave us."
    if appointment.kind == "video":
        return "We will email you the link to join the video call before it starts."
    place = appointment.location or ", ".join([profile.name, *profile.address_lines])
    return f"At {place}."


def _message(
    kind: str,
    lead: Lead,
    appointment: Appointment,
    *,
    subject: str,
    template: str,
    now: datetime,
    method: str | None,
) -> list[outbox.QueuedMessage]:
    if not lead.email:
        return []
    token = booking.manage_token(appointment)
    link = manage_url(token)
    described = describe(appointment)
    payload: dict[str, Any] = {}
    if method:
        payload = {
            "ics": ics.invitation(
                appointment,
                method=method,
                host_name=described.host,
                where=described.how,
                manage_url=link,
                attendee=lead.email,
                now=now,
            ),
            "ics_method": method,
        }
    profile = current_profile()
    body = render_template(
        template,
        when=described,
        manage_link=link,
        clinic=profile,
        book_link=_book_again_link(lead) if kind == CANCELLED else None,
    )
    row = outbox.message_values(
        kind,
        lead.email,
        subject=f"{subject} — {profile.name}",
        body=body,
        payload=payload,
        lead_id=lead.id,
        now=now,
    )
    messages = outbox.insert_messages([row])
    outbox.deliver_after_response(messages)
    return messages


def _book_again_link(lead: Lead) -> str | None:
    inquiry_id = booking.latest_inquiry_id(lead.id)
    return booking_link_for(lead.id, inquiry_id) if inquiry_id else None


# What the patient is sent when their consultation is booked, moved or cancelled: the subject,
# the body's template, and the invitation's METHOD (a cancellation withdraws the calendar entry).
CHANGE_MAIL = {
    BOOKED: ("Your consultation is booked", "email/booking_confirmed.txt", "REQUEST"),
    MOVED: ("Your consultation has moved", "email/booking_moved.txt", "REQUEST"),
    CANCELLED: ("Your consultation is cancelled", "email/booking_cancelled.txt", "CANCEL"),
}


def queue_change(kind: str, lead: Lead, appointment: Appointment, now: datetime) -> list:
    """Email the patient the change (``kind``: BOOKED, MOVED or CANCELLED) with its invitation."""
    subject, template, method = CHANGE_MAIL[kind]
    return _message(
        kind, lead, appointment, subject=subject, template=template, now=now, method=method
    )


def queue_reminder(lead: Lead, appointment: Appointment, now: datetime) -> list:
    described = describe(appointment)
    return _message(
        REMINDER,
        lead,
        appointment,
        subject=f"Reminder: your consultation on {described.day}",
        template="email/booking_reminder.txt",
        now=now,
        method=None,
    )


def queue_fresh_link(lead: Lead, now: datetime) -> bool:
    """Email the lead a new link to choose a time, unless one went to the address within the
    hour; True when one was queued (the caller shows the same page either way)."""
    if not lead.email:
        return False
    inquiry_id = booking.latest_inquiry_id(lead.id)
    if inquiry_id is None:
        return False
    recent = db.session.execute(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == FRESH_LINK,
            OutboxMessage.recipient_key == outbox.recipient_key_for(lead.email),
            OutboxMessage.created_at > now - FRESH_LINK_WINDOW,
        )
        .limit(1)
    ).first()
    if recent is not None:
        return False
    profile = current_profile()
    body = render_template(
        "email/booking_link.txt",
        book_link=booking_link_for(lead.id, inquiry_id),
        days=availability.booking_settings().link_days,
        clinic=profile,
    )
    row = outbox.message_values(
        FRESH_LINK,
        lead.email,
        subject=f"Your link to choose a consultation time — {profile.name}",
        body=body,
        lead_id=lead.id,
        now=now,
    )
    outbox.deliver_after_response(outbox.insert_messages([row]))
    return True
