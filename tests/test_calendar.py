"""The staff calendar: a day or a week of consultations, the person's own or the clinic's, each
entry linked to its lead; editors never see it. And the availability and booking-settings pages
that feed the slots."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import availability
from clinic.leads.calendar import agenda
from clinic.models import Appointment, AvailabilityException, Inquiry, WeeklyHours
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff, sign_in

# The frozen clock: Wednesday 9 December 2026, 10:00 at the clinic.


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CLINIC_TZ)


def book(lead_id: int, at: datetime, host_id: int | None, status: str = "booked", kind="video"):
    appointment = Appointment(
        lead_id=lead_id,
        starts_at=at,
        duration_minutes=45,
        kind=kind,
        host_id=host_id,
        status=status,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


@pytest.fixture
def week(app, frozen_clock):
    """Two hosts' consultations this week, one on Sunday of last week, one cancelled."""
    with app.app_context():
        amara = make_staff("amara@clinic.test", name="Amara Okafor", role="admin")
        ben = make_staff("ben@clinic.test", name="Ben Ito")
        zoe = make_lead("Zoë Núñez")
        db.session.execute(
            select(Inquiry).where(Inquiry.lead_id == zoe.id)
        ).scalar_one().reference = "K7M4-QX2P"
        db.session.commit()
        other = make_lead("Oli Park")
        book(zoe.id, local(9, 14), amara.id)
        book(other.id, local(10, 9, 30), ben.id, kind="phone")
        book(other.id, local(11, 16), None, status="cancelled")
        book(zoe.id, local(6, 11), amara.id, status="attended")  # Sunday before
        return {"amara": amara.id, "ben": ben.id, "zoe": zoe.id, "other": other.id}


def test_agenda_groups_a_week_by_clinic_day(app, week):
    with app.app_context():
        mine = agenda(local(7, 0).date(), local(13, 0).date(), week["amara"])
        assert [len(day.entries) for day in mine.days] == [0, 0, 1, 0, 0, 0, 0]
        assert mine.days[2].entries[0].ref == "K7M4-QX2P"
        clinic = agenda(local(7, 0).date(), local(13, 0).date(), None)
        assert [(day.day.day, len(day.entries)) for day in clinic.days if day.entries] == [
            (9, 1),
            (10, 1),
            (11, 1),
        ]
        # Without an inquiry reference the appointment's number stands in.
        other_ref = clinic.days[3].entries[0].ref
        assert other_ref == str(clinic.days[3].entries[0].appointment.id)


def test_admin_sees_the_clinic_week_by_default(app, client, week):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Ada Admin")
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/calendar").get_data(as_text=True)
    assert "The clinic’s consultations, week of 7 December 2026" in page
    assert "Consultation #K7M4-QX2P" in page
    assert f'href="/staff/leads/{week["zoe"]}#appointments"' in page
    assert "14:00</time>–<time" in page and "14:45" in page
    assert "with Amara Okafor" in page and "with Ben Ito" in page
    assert "Cancelled" in page
    assert "No consultations." in page  # the empty days say so
    assert 'href="/staff/availability"' in page
    # Prev / next / today keep the view and the person.
    assert "date=2026-12-02" in page and "date=2026-12-16" in page


def test_coordinator_sees_their_own_day(app, client, week):
    assert sign_in(client, "ben@clinic.test").status_code == 302
    page = client.get("/staff/calendar?view=day&date=2026-12-10").get_data(as_text=True)
    assert "Your consultations, Thursday 10 December 2026" in page
    assert "09:30" in page and "Oli Park" in page
    assert "Zoë" not in page
    day_before = client.get("/staff/calendar?view=day&date=2026-12-09").get_data(as_text=True)
    assert "No consultations." in day_before
    # Someone else's calendar, and the clinic's.
    amara = client.get(f"/staff/calendar?person={week['amara']}&view=week&date=2026-12-09")
    assert "Amara Okafor’s consultations" in amara.get_data(as_text=True)
    assert "Consultation #K7M4-QX2P" in amara.get_data(as_text=True)
    # A date that is not one falls back to today.
    assert client.get("/staff/calendar?date=banana").status_code == 200


def test_editor_is_refused_the_calendar_and_availability(app, client):
    signed_in(app, client, "ed@clinic.test", role="editor", name="Eddie Editor")
    assert client.get("/staff/calendar").status_code == 403
    assert client.get("/staff/availability").status_code == 403
    assert client.get("/staff/settings/booking").status_code == 403


def test_weekly_hours_form_saves_and_reports_errors(app, client, frozen_clock):
    signed_in(app, client, "casey@clinic.test")
    page = client.get("/staff/availability").get_data(as_text=True)
    assert "Monday, phone: from" in page
    data = {
        "hours-csrf_token": token_from(page),
        "hours-phone_0_from": "09:00",
        "hours-phone_0_to": "12:00",
        "hours-in_person_2_from": "13:00",
        "hours-in_person_2_to": "17:00",
        "hours-in_person_2_location": "Room 2, 14 Elm Street",
    }
    response = client.post("/staff/availability", data=data)
    assert response.status_code == 302
    with app.app_context():
        stored = sorted(
            (h.kind, h.weekday, f"{h.start_time:%H:%M}", f"{h.end_time:%H:%M}", h.location)
            for h in db.session.execute(select(WeeklyHours)).scalars()
        )
        assert stored == [
            ("in_person", 2, "13:00", "17:00", "Room 2, 14 Elm Street"),
            ("phone", 0, "09:00", "12:00", None),
        ]
        assert len(audit_rows("availability changed")) == 2
    bad = dict(data, **{"hours-phone_1_from": "12:00", "hours-phone_1_to": "09:00"})
    refused = client.post("/staff/availability", data=bad)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "<title>Error:" in text
    assert "Tuesday (phone): the end (09:00) must be after the start (12:00)." in text
    half = dict(data, **{"hours-video_4_from": "09:00"})
    assert "give both times" in client.post("/staff/availability", data=half).get_data(as_text=True)


def test_exceptions_added_and_removed_from_the_page(app, client, frozen_clock):
    me = signed_in(app, client, "casey@clinic.test").id
    page = client.get("/staff/availability").get_data(as_text=True)
    response = client.post(
        f"/staff/availability/{me}/exceptions",
        data={
            "exception-csrf_token": token_from(page),
            "exception-kind": "off",
            "exception-starts_on": "2026-12-24",
            "exception-starts_at": "00:00",
            "exception-ends_on": "2026-12-28",
            "exception-ends_at": "23:55",
            "exception-note": "Holiday",
        },
    )
    assert response.status_code == 302
    page = client.get("/staff/availability").get_data(as_text=True)
    assert "Time off Thu 24 Dec 2026 00:00 – Mon 28 Dec 2026 23:55 – Holiday" in page
    with app.app_context():
        exception_id = db.session.execute(select(AvailabilityException.id)).scalar_one()
    removed = client.post(
        f"/staff/availability/{me}/exceptions/{exception_id}/remove",
        data={"csrf_token": token_from(page)},
    )
    assert removed.status_code == 302
    assert "No time off or extra hours coming up." in client.get("/staff/availability").get_data(
        as_text=True
    )


def test_coordinator_may_not_edit_someone_else(app, client):
    with app.app_context():
        other = make_staff("amara@clinic.test", name="Amara Okafor", role="admin")
    signed_in(app, client, "casey@clinic.test")
    assert client.get(f"/staff/availability/{other.id}").status_code == 403


def test_admin_edits_anyone_and_the_booking_settings(app, client, frozen_clock):
    with app.app_context():
        casey = make_staff("casey@clinic.test", name="Casey Coordinator")
    signed_in(app, client, "admin@clinic.test", role="admin", name="Ada Admin")
    page = client.get(f"/staff/availability/{casey.id}")
    assert "Casey Coordinator’s availability" in page.get_data(as_text=True)
    settings = client.get("/staff/settings/booking").get_data(as_text=True)
    assert 'aria-current="page">Booking</a>' in settings
    assert 'value="30"' in settings and 'value="21"' in settings
    response = client.post(
        "/staff/settings/booking",
        data={
            "csrf_token": token_from(settings),
            "slot_minutes": "45",
            "buffer_minutes": "15",
            "horizon_days": "28",
            "notice_business_hours": "8",
            "link_days": "7",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert availability.booking_settings() == availability.BookingSettings(45, 15, 28, 8, 7)
    refused = client.post(
        "/staff/settings/booking",
        data={
            "csrf_token": token_from(settings),
            "slot_minutes": "33",
            "buffer_minutes": "15",
            "horizon_days": "0",
            "notice_business_hours": "8",
            "link_days": "7",
        },
    )
    assert refused.status_code == 400
    assert "Give a number from 1 to 365." in refused.get_data(as_text=True)


def test_coordinator_may_not_change_booking_settings(app, client):
    signed_in(app, client, "casey@clinic.test")
    assert client.get("/staff/settings/booking").status_code == 403
