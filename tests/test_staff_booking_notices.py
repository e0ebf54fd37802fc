"""A consultation staff book, move or cancel reaches the patient's calendar like one they booked
online: the same email with an invitation, its update, or its cancellation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.appointments import AppointmentDetails, book_appointment
from clinic.models import Lead, OutboxMessage, StaffUser
from clinic.notify.booking_mail import BOOKED, CANCELLED, MOVED
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import make_lead, signed_in, token_from

# The frozen clock stands at Wednesday 9 December 2026, 10:00 at the clinic.
TOMORROW_10 = datetime(2026, 12, 10, 10, 0, tzinfo=CLINIC_TZ)


def _messages(app, kind: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))
        found = list(rows.scalars())
        db.session.expunge_all()
        return found


def _invitation(message: OutboxMessage) -> Calendar:
    return Calendar.from_ical(json.loads(message.payload)["ics"])


def _post(client, lead_id: int, path: str, data: dict):
    html = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    data = {"csrf_token": token_from(html), **data}
    return client.post(f"/staff/leads/{lead_id}{path}", data=data)


def test_booking_from_the_record_emails_the_patient_an_invitation(frozen_clock, app, client):
    casey = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        lead_id = make_lead("Zoë Núñez", email="zoe@example.com", status="contacted").id
    fields = {"appointment_on": "2026-12-10", "appointment_at": "10:00",
              "duration_minutes": "30", "kind": "phone", "host": str(casey.id)}  # fmt: skip
    response = _post(client, lead_id, "/appointments", {f"book-{k}": v for k, v in fields.items()})

    assert response.status_code == 302
    [message] = _messages(app, BOOKED)
    assert message.recipient == "zoe@example.com"
    [event] = _invitation(message).walk("VEVENT")
    assert event.decoded("DTSTART") == TOMORROW_10
    assert "lupus" not in message.body.lower() and "Diagnosed" not in message.body
    page = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "The patient is emailed the details and a calendar invitation." in page


def test_cancelling_sends_the_cancellation_to_the_calendar(frozen_clock, app, client):
    casey = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        lead_id = make_lead("Zoë Núñez", email="zoe@example.com", status="contacted").id
        appointment = book_appointment(
            db.session.get(Lead, lead_id),
            AppointmentDetails(starts_at=TOMORROW_10, duration_minutes=30, kind="phone"),
            db.session.get(StaffUser, casey.id),
            now=TOMORROW_10 - timedelta(days=2),
        )
        db.session.commit()
        appointment_id = appointment.id

    response = _post(
        client, lead_id, f"/appointments/{appointment_id}/settle", {"outcome": "cancelled"}
    )

    assert response.status_code == 302
    [message] = _messages(app, CANCELLED)
    calendar = _invitation(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert _messages(app, MOVED) == []
