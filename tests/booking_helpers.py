"""Helpers for the patient booking tests: hosts with weekly hours, a lead's links, the slot keys
the pages post back, and the invitations the emails carry."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time

from icalendar import Calendar
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import booking
from clinic.leads.availability import HoursRange, replace_weekly_hours
from clinic.models import Appointment, Inquiry, Lead, OutboxMessage
from tests.conftest import CLINIC_TZ
from tests.staff_helpers import make_staff

WEEKDAYS = range(0, 5)
# With the clock frozen on Wednesday 9 December 2026 10:00 in the clinic and four business hours'
# notice, Thursday 10 December 09:00 (New York) is the first free morning slot.
THURSDAY_9 = datetime(2026, 12, 10, 9, 0, tzinfo=CLINIC_TZ)
FRIDAY_9 = datetime(2026, 12, 11, 9, 0, tzinfo=CLINIC_TZ)
_SLOT = re.compile(r'name="slot" value="([^"]+)"')


def make_host(
    email: str = "amara@clinic.test",
    name: str = "Amara Okafor",
    kinds: tuple[str, ...] = ("phone",),
    start: time = time(9),
    end: time = time(12),
):
    """A coordinator with weekday hours for each kind (committed)."""
    host = make_staff(email, name=name)
    for kind in kinds:
        location = "Suite 4, 12 Harbour Street" if kind == "in_person" else None
        replace_weekly_hours(
            host, kind, [HoursRange(day, start, end, location) for day in WEEKDAYS], None
        )
    db.session.commit()
    return host


def key_for(starts_at: datetime, kind: str = "phone") -> str:
    return f"{kind}@{starts_at.astimezone(UTC):%Y%m%dT%H%M}Z"


def book_path(lead: Lead) -> str:
    inquiry_id = db.session.execute(
        select(Inquiry.id).where(Inquiry.lead_id == lead.id).order_by(Inquiry.id)
    ).scalar_one()
    return f"/book/{booking.booking_token(lead.id, inquiry_id)}"


def manage_path(appointment: Appointment) -> str:
    return f"/booking/{booking.manage_token(appointment)}"


def slot_keys(html: str) -> list[str]:
    return _SLOT.findall(html)


def messages(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).scalars()
    )


def invitation_of(message: OutboxMessage) -> Calendar:
    payload = json.loads(message.payload)
    return Calendar.from_ical(payload["ics"])


def booked_rows() -> list[Appointment]:
    return list(
        db.session.execute(
            select(Appointment).where(Appointment.status == "booked").order_by(Appointment.id)
        ).scalars()
    )
