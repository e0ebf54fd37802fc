"""Consultations on the lead record: booked from the record or by moving the lead to "consult
booked" (which asks for one), shown with their time in words, moved, and marked attended,
no-show (which sets a follow-up) or cancelled; refusals change nothing and say why."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.appointments import AppointmentDetails, book_appointment
from clinic.models import Appointment, Lead, StaffUser
from tests.conftest import CLINIC_TZ, FROZEN_AT
from tests.lead_helpers import events_of, make_lead, signed_in, token_from

# The frozen clock stands at Wednesday 9 December 2026, 10:00 at the clinic.
TOMORROW_10 = datetime(2026, 12, 10, 10, 0, tzinfo=CLINIC_TZ)


@pytest.fixture
def casey(app, client):
    return signed_in(app, client, "casey@clinic.test")


@pytest.fixture
def lead_id(app):
    with app.app_context():
        return make_lead("Zoë Núñez", status="contacted").id


def record(client, lead_id) -> str:
    response = client.get(f"/staff/leads/{lead_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def appointment_fields(prefix: str, **fields) -> dict:
    data = {"appointment_on": "", "appointment_at": "", "duration_minutes": "30", "kind": "",
            "host": "", "location": "", "appointment_note": ""}  # fmt: skip
    data.update(fields)
    return {f"{prefix}-{key}": value for key, value in data.items()}


def post(client, lead_id, path: str, data: dict):
    data.setdefault("csrf_token", token_from(record(client, lead_id)))
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(f"/staff/leads/{lead_id}{path}", data=data)


def booked_earlier(app, lead_id: int, starts_at: datetime, actor: StaffUser) -> int:
    """A consultation booked the day before ``starts_at``, so it can be today or past."""
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        details = AppointmentDetails(starts_at=starts_at, duration_minutes=30, kind="phone")
        appointment = book_appointment(
            lead, details, db.session.get(StaffUser, actor.id), now=starts_at - timedelta(days=1)
        )
        db.session.commit()
        return appointment.id


def fresh(app, model, row_id):
    with app.app_context():
        found = db.session.get(model, row_id)
        db.session.expunge(found)
        return found


def test_book_a_consultation_from_the_record(frozen_clock, app, client, casey, lead_id):
    data = appointment_fields("book", appointment_on="2026-12-10", appointment_at="10:00",
                              kind="in_person", location="Room 2", host=str(casey.id))  # fmt: skip
    data["book-csrf_token"] = token_from(record(client, lead_id))
    response = post(client, lead_id, "/appointments", data)
    assert response.status_code == 302
    with app.app_context():
        [booked] = db.session.execute(select(Appointment)).scalars()
        assert (booked.starts_at, booked.kind, booked.location) == (
            TOMORROW_10,
            "in_person",
            "Room 2",
        )
        assert db.session.get(Lead, lead_id).status == "consult_booked"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Consultation booked: Thursday 10 December, 10:00–10:30, in person, with Casey Coord"
        in (html)
    )
    assert "Tomorrow at 10:00" in html and "Thursday 10 December, 10:00–10:30" in html
    assert "Where: Room 2" in html
    # Its day has not come: it can be moved or cancelled, not yet marked attended.
    assert ">Cancel it<" in html and ">Attended<" not in html


def test_a_booking_in_the_past_is_refused_with_what_was_typed(
    frozen_clock, app, client, casey, lead_id
):
    data = appointment_fields("book", appointment_on="2026-12-09", appointment_at="08:00",
                              kind="video", location="https://meet.example/x")  # fmt: skip
    data["book-csrf_token"] = token_from(record(client, lead_id))
    response = post(client, lead_id, "/appointments", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "That time has passed; choose a later date or time." in html
    assert 'value="https://meet.example/x"' in html
    assert '<div class="appointment-book" id="book">' in html
    with app.app_context():
        assert db.session.execute(select(Appointment)).first() is None


def test_consult_booked_from_the_status_form_asks_for_the_consultation(
    frozen_clock, app, client, casey, lead_id
):
    token = token_from(record(client, lead_id))
    data = {"status-csrf_token": token, "status-status": "consult_booked", "status-lost_reason": ""}
    response = post(client, lead_id, "/status", dict(data, **appointment_fields("status")))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give the consultation&#39;s date." in html
    assert '<details class="lead-actions lead-more" open>' in html
    assert fresh(app, Lead, lead_id).status == "contacted"

    fields = appointment_fields("status", appointment_on="2026-12-10", appointment_at="10:00",
                                kind="phone")  # fmt: skip
    response = post(client, lead_id, "/status", dict(data, **fields))
    assert response.status_code == 302
    assert fresh(app, Lead, lead_id).status == "consult_booked"
    with app.app_context():
        [booked] = db.session.execute(select(Appointment)).scalars()
        assert booked.starts_at == TOMORROW_10
        made = [e for e in events_of(lead_id) if e.actor_id == casey.id]
        assert [e.kind for e in made] == ["status", "appointment"]
        assert len({e.created_at for e in made}) == 1
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consultation booked for Thursday 10 December, 10:00; the status is Consult booked." in (
        html
    )


def test_attended_moves_the_lead_to_consult_done(frozen_clock, app, client, casey, lead_id):
    appointment_id = booked_earlier(app, lead_id, FROZEN_AT - timedelta(hours=1), casey)
    html = record(client, lead_id)
    assert "To mark: attended or no-show?" in html
    response = post(client, lead_id, f"/appointments/{appointment_id}/settle",
                    {"outcome": "attended"})  # fmt: skip
    assert response.status_code == 302
    assert fresh(app, Appointment, appointment_id).status == "attended"
    assert fresh(app, Lead, lead_id).status == "consult_done"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Marked as attended" in html and "The status is Consult done." in html
    assert "Consultation attended" in html


def test_a_no_show_sets_a_follow_up_for_the_next_business_day(
    frozen_clock, app, client, casey, lead_id
):
    appointment_id = booked_earlier(app, lead_id, FROZEN_AT - timedelta(hours=1), casey)
    html = record(client, lead_id)
    confirm = re.search(r'<form[^>]*data-confirm="([^"]*)"[^>]*>\s*<input[^>]*>'
                        r'<input type="hidden" name="outcome" value="no_show">', html)  # fmt: skip
    assert confirm and "no-show?" in confirm[1]
    response = post(client, lead_id, f"/appointments/{appointment_id}/settle",
                    {"outcome": "no_show"})  # fmt: skip
    assert response.status_code == 302
    found = fresh(app, Lead, lead_id)
    assert (found.follow_up_on, found.follow_up_time) == (FROZEN_AT.date() + timedelta(days=1),
                                                          time(9, 0))  # fmt: skip
    assert found.status == "contacted"
    assert fresh(app, Appointment, appointment_id).status == "no_show"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Marked as a no-show" in html
    assert "Next follow-up Thu 10 Dec 2026 at 09:00." in html


def test_cancel_asks_first_and_is_recorded(frozen_clock, app, client, casey, lead_id):
    appointment_id = booked_earlier(app, lead_id, TOMORROW_10, casey)
    html = record(client, lead_id)
    assert 'data-confirm="Cancel the consultation of Thursday 10 December, 10:00–10:30?"' in html
    response = post(client, lead_id, f"/appointments/{appointment_id}/settle",
                    {"outcome": "cancelled"})  # fmt: skip
    assert response.status_code == 302
    assert fresh(app, Appointment, appointment_id).status == "cancelled"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consultation cancelled: Thursday 10 December" in html
    assert "No consultation booked yet." not in html  # the cancelled one is still listed
    assert ">Cancelled<" in html


def test_attended_before_its_day_is_refused(frozen_clock, app, client, casey, lead_id):
    appointment_id = booked_earlier(app, lead_id, TOMORROW_10, casey)
    response = post(client, lead_id, f"/appointments/{appointment_id}/settle",
                    {"outcome": "attended"})  # fmt: skip
    assert response.status_code == 400
    assert "hasn&#39;t happened yet" in response.get_data(as_text=True)
    assert fresh(app, Appointment, appointment_id).status == "booked"


def test_move_a_consultation(frozen_clock, app, client, casey, lead_id):
    appointment_id = booked_earlier(app, lead_id, TOMORROW_10, casey)
    prefix = f"appointment-{appointment_id}"
    html = record(client, lead_id)
    assert (
        f'id="{prefix}-appointment_at" name="{prefix}-appointment_at" type="time" value="10:00"'
        in (html)
    )
    fields = appointment_fields(prefix, appointment_on="2026-12-11", appointment_at="15:00",
                                kind="phone")  # fmt: skip
    fields[f"{prefix}-csrf_token"] = token_from(html)
    response = post(client, lead_id, f"/appointments/{appointment_id}", fields)
    assert response.status_code == 302
    assert fresh(app, Appointment, appointment_id).starts_at == TOMORROW_10.replace(day=11, hour=15)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consultation moved to Friday 11 December, 15:00–15:30" in html

    fields[f"{prefix}-appointment_at"] = "25:00"
    response = post(client, lead_id, f"/appointments/{appointment_id}", fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<details class="appointment__change" open>' in html
    assert 'value="2026-12-11"' in html


def test_another_leads_consultation_is_not_found(frozen_clock, app, client, casey, lead_id):
    with app.app_context():
        other_id = make_lead(status="contacted").id
    appointment_id = booked_earlier(app, other_id, TOMORROW_10, casey)
    response = post(client, lead_id, f"/appointments/{appointment_id}/settle",
                    {"outcome": "cancelled"})  # fmt: skip
    assert response.status_code == 404
    assert fresh(app, Appointment, appointment_id).status == "booked"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/appointments", {"book-appointment_on": "2026-12-10", "book-appointment_at": "10:00",
                           "book-kind": "phone", "book-duration_minutes": "30"}),
        ("/appointments/{id}/settle", {"outcome": "cancelled"}),
    ],
)  # fmt: skip
def test_consultation_actions_need_csrf(frozen_clock, app, client, casey, lead_id, path, data):
    appointment_id = booked_earlier(app, lead_id, TOMORROW_10, casey)
    response = client.post(f"/staff/leads/{lead_id}{path.format(id=appointment_id)}", data=data)
    assert response.status_code == 400
    with app.app_context():
        rows = db.session.execute(select(Appointment)).scalars().all()
        assert [(row.id, row.status) for row in rows] == [(appointment_id, "booked")]


def test_the_booking_form_is_drawn_when_asked_for(frozen_clock, app, client, casey, lead_id):
    plain = record(client, lead_id)
    assert f'href="/staff/leads/{lead_id}?book=1#book">Book a consultation</a>' in plain
    assert f'action="/staff/leads/{lead_id}/appointments"' not in plain
    asked = client.get(f"/staff/leads/{lead_id}?book=1").get_data(as_text=True)
    assert '<div class="appointment-book" id="book">' in asked
    assert f'action="/staff/leads/{lead_id}/appointments"' in asked
