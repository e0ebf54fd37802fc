"""Consultations booked for a lead: booking moves the lead along and says so on the timeline,
they can be moved, and attended, no-show and cancelled each do what the clinic expects; erasure
and merging take them along."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.appointments import (
    AppointmentDetails,
    AppointmentError,
    appointment_for_update,
    appointments_for_lead,
    book_appointment,
    next_business_day,
    reschedule_appointment,
    settle_appointment,
    upcoming_for_lead,
)
from clinic.leads.erasure import erase_lead
from clinic.leads.merge import merge_leads
from clinic.models import Appointment, Lead, utcnow
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, events_of, make_lead
from tests.staff_helpers import make_staff

# The frozen clock stands at Wednesday 9 December 2026, 10:00 at the clinic.


def clinic_time(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CLINIC_TZ)


THURSDAY_2PM = clinic_time(10, 14)


@pytest.fixture
def coordinator(ctx):
    return make_staff("casey@clinic.test", name="Casey Coordinator")


@pytest.fixture
def host(ctx):
    return make_staff("amara@clinic.test", name="Amara Okafor", role="admin")


def video_call(host_id: int | None = None, **changes) -> AppointmentDetails:
    details = AppointmentDetails(
        starts_at=THURSDAY_2PM,
        duration_minutes=45,
        kind="video",
        location="https://meet.example/abc",
        host_id=host_id,
        note="Daughter joins the call",
    )
    return replace(details, **changes)


def fresh(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def appointment_count() -> int:
    return db.session.execute(select(func.count()).select_from(Appointment)).scalar_one()


def booked(lead: Lead, actor, **changes) -> Appointment:
    appointment = book_appointment(lead, video_call(**changes), actor)
    db.session.commit()
    return appointment


def test_booking_stores_the_consultation_and_moves_a_new_lead_along(
    frozen_clock, coordinator, host
):
    lead = make_lead()
    now = utcnow()
    appointment = book_appointment(lead, video_call(host.id), coordinator, now=now)
    db.session.commit()

    stored = db.session.get(Appointment, appointment.id)
    assert stored.lead_id == lead.id
    assert stored.starts_at == THURSDAY_2PM
    assert (stored.duration_minutes, stored.kind, stored.status) == (45, "video", "booked")
    assert (stored.location, stored.note) == ("https://meet.example/abc", "Daughter joins the call")
    assert (stored.host_id, stored.booked_by_id, stored.booked_via) == (
        host.id,
        coordinator.id,
        "staff",
    )
    lead = fresh(lead.id)
    assert lead.status == "consult_booked"
    assert lead.furthest_stage == 2
    assert lead.first_contacted_at == now
    [status] = events_of(lead.id, "status")
    assert (status.from_status, status.to_status, status.created_at) == (
        "new",
        "consult_booked",
        now,
    )
    [booking] = events_of(lead.id, "appointment")
    assert booking.body == (
        "Consultation booked: Thursday 10 December, 14:00–14:45, video, with Amara Okafor"
    )
    assert (booking.actor_id, booking.created_at) == (coordinator.id, now)
    assert [a.detail for a in audit_rows("lead_changed")] == [
        "status new -> consult_booked",
        f"appointment {appointment.id} booked",
    ]


def test_booking_keeps_a_lead_that_is_further_along_and_reopens_a_lost_one(
    frozen_clock, coordinator
):
    treated = make_lead(status="treated")
    book_appointment(treated, video_call(), coordinator)
    lost = make_lead(status="lost", lost_reason="cost")
    book_appointment(lost, video_call(), coordinator)
    db.session.commit()
    assert fresh(treated.id).status == "treated"
    assert events_of(treated.id, "status") == []
    lost = fresh(lost.id)
    assert (lost.status, lost.lost_reason) == ("consult_booked", None)


def test_a_patient_booking_is_not_a_first_contact(frozen_clock, ctx):
    lead = make_lead()
    appointment = book_appointment(lead, video_call(), None, booked_via="patient")
    db.session.commit()
    assert (appointment.booked_via, appointment.booked_by_id) == ("patient", None)
    lead = fresh(lead.id)
    assert (lead.status, lead.first_contacted_at) == ("consult_booked", None)
    [booking] = events_of(lead.id, "appointment")
    assert booking.actor_id is None
    assert (
        booking.body
        == "The patient booked a consultation: Thursday 10 December, 14:00–14:45, video"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": clinic_time(9, 9, 59)}, "That time has passed"),
        ({"starts_at": datetime(2026, 12, 10, 14)}, "in the clinic's time zone"),
        ({"duration_minutes": 4}, "from 5 minutes to 8 hours"),
        ({"duration_minutes": 481}, "from 5 minutes to 8 hours"),
        ({"kind": "carrier_pigeon"}, "phone, video or in person"),
        ({"location": "x" * 301}, "at most 300 characters"),
        ({"host_id": 999_999}, "from the staff list"),
    ],
)
def test_unworkable_details_are_refused_and_change_nothing(
    frozen_clock, coordinator, changes, message
):
    lead = make_lead()
    with pytest.raises(AppointmentError, match=message):
        book_appointment(lead, video_call(**changes), coordinator)
    db.session.commit()
    assert appointment_count() == 0
    assert fresh(lead.id).status == "new"
    assert events_of(lead.id, "appointment") == events_of(lead.id, "status") == []


def test_a_deactivated_host_or_an_erased_lead_is_refused(frozen_clock, coordinator, host):
    host.active = False
    db.session.commit()
    with pytest.raises(AppointmentError, match="Amara Okafor's account is deactivated"):
        book_appointment(make_lead(), video_call(host.id), coordinator)
    erased = make_lead()
    erase_lead(erased, coordinator)
    db.session.commit()
    with pytest.raises(AppointmentError, match="erased"):
        book_appointment(erased, video_call(), coordinator)
    assert appointment_count() == 0


def test_moving_a_consultation_says_what_it_was(frozen_clock, coordinator, host):
    lead = make_lead()
    appointment = booked(lead, coordinator, host_id=host.id)
    friday = clinic_time(11, 9)
    details = video_call(starts_at=friday, duration_minutes=30, kind="phone")
    reschedule_appointment(appointment, lead, details, coordinator)
    # The same details again change nothing; a new location alone changes the appointment only.
    reschedule_appointment(appointment, lead, details, coordinator)
    reschedule_appointment(appointment, lead, replace(details, location="Room 2"), coordinator)
    db.session.commit()

    stored = db.session.get(Appointment, appointment.id)
    assert (stored.starts_at, stored.duration_minutes, stored.kind) == (friday, 30, "phone")
    assert (stored.host_id, stored.location) == (None, "Room 2")
    assert [e.body for e in events_of(lead.id, "appointment")][1:] == [
        "Consultation moved to Friday 11 December, 09:00–09:30, phone (was Thursday 10 "
        "December, 14:00–14:45, video, with Amara Okafor)",
        "Consultation details changed: Friday 11 December, 09:00–09:30, phone",
    ]
    assert fresh(lead.id).status == "consult_booked"


def test_only_a_booked_consultation_of_the_lead_can_be_moved(frozen_clock, coordinator):
    lead, other = make_lead(), make_lead()
    appointment = booked(lead, coordinator)
    with pytest.raises(AppointmentError, match="belongs to another lead"):
        reschedule_appointment(appointment, other, video_call(), coordinator)
    settle_appointment(appointment, lead, "cancelled", coordinator)
    db.session.commit()
    with pytest.raises(AppointmentError, match="already recorded as cancelled"):
        reschedule_appointment(appointment, lead, video_call(), coordinator)
    with pytest.raises(AppointmentError, match="already recorded as cancelled"):
        settle_appointment(appointment, lead, "attended", coordinator)


def test_attended_moves_the_lead_to_consult_done(frozen_clock, coordinator):
    lead = make_lead()
    appointment = booked(lead, coordinator)
    with pytest.raises(AppointmentError, match="hasn't happened yet"):
        settle_appointment(appointment, lead, "attended", coordinator)
    frozen_clock.move_to(clinic_time(10, 14, 50))
    event = settle_appointment(appointment, lead, "attended", coordinator)
    db.session.commit()

    stored = db.session.get(Appointment, appointment.id)
    assert (stored.status, stored.settled_by_id) == ("attended", coordinator.id)
    assert stored.settled_at == utcnow()
    assert event.body == "Consultation attended: Thursday 10 December, 14:00"
    lead = fresh(lead.id)
    assert (lead.status, lead.furthest_stage) == ("consult_done", 3)
    assert [e.to_status for e in events_of(lead.id, "status")] == ["consult_booked", "consult_done"]
    assert audit_rows("lead_changed")[-1].detail == f"appointment {appointment.id} attended"


def test_a_no_show_sets_a_follow_up_next_business_day_at_the_same_time(frozen_clock, coordinator):
    lead = make_lead()
    appointment = booked(lead, coordinator, starts_at=clinic_time(11, 15, 30))  # a Friday
    frozen_clock.move_to(clinic_time(11, 16))
    settle_appointment(appointment, lead, "no_show", coordinator)
    db.session.commit()

    lead = fresh(lead.id)
    assert (lead.follow_up_on, lead.follow_up_time) == (date(2026, 12, 14), time(15, 30))
    assert lead.status == "contacted"  # nothing else booked: back to working the lead
    assert db.session.get(Appointment, appointment.id).status == "no_show"
    assert events_of(lead.id, "appointment")[-1].body == (
        "No-show for the consultation of Friday 11 December, 15:30"
    )
    assert [e.body for e in events_of(lead.id, "follow_up")] == [
        "Next follow-up Mon 14 Dec 2026 at 15:30 (was none)"
    ]


def test_a_no_show_keeps_the_stage_while_another_consultation_is_booked(frozen_clock, coordinator):
    lead = make_lead()
    missed = booked(lead, coordinator)
    booked(lead, coordinator, starts_at=clinic_time(17, 11))
    frozen_clock.move_to(clinic_time(10, 15))
    settle_appointment(missed, lead, "no_show", coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert lead.status == "consult_booked"
    assert (lead.follow_up_on, lead.follow_up_time) == (date(2026, 12, 11), time(14))


def test_cancelling_goes_back_to_contacted_without_a_follow_up(frozen_clock, coordinator):
    lead = make_lead()
    appointment = booked(lead, coordinator)
    event = settle_appointment(appointment, lead, "cancelled", coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.status, lead.follow_up_on) == ("contacted", None)
    assert event.body == "Consultation cancelled: Thursday 10 December, 14:00"
    assert events_of(lead.id, "follow_up") == []


def test_a_consultation_done_already_is_not_undone_by_a_later_cancellation(
    frozen_clock, coordinator
):
    lead = make_lead(status="consult_done")
    appointment = booked(lead, coordinator)
    settle_appointment(appointment, lead, "cancelled", coordinator)
    with pytest.raises(AppointmentError, match="attended, no-show or cancelled"):
        settle_appointment(appointment, lead, "rained_off", coordinator)
    db.session.commit()
    assert fresh(lead.id).status == "consult_done"


def test_the_lead_lists_booked_consultations_first_then_the_rest_newest_first(
    frozen_clock, coordinator
):
    lead = make_lead()
    later = booked(lead, coordinator, starts_at=clinic_time(18, 9))
    sooner = booked(lead, coordinator, starts_at=clinic_time(10, 9))
    first_done = booked(lead, coordinator, starts_at=clinic_time(9, 11))
    second_done = booked(lead, coordinator, starts_at=clinic_time(9, 12))
    settle_appointment(first_done, lead, "cancelled", coordinator)
    settle_appointment(second_done, lead, "cancelled", coordinator)
    db.session.commit()

    listed = [a.id for a in appointments_for_lead(lead.id)]
    assert listed == [sooner.id, later.id, second_done.id, first_done.id]
    assert upcoming_for_lead(lead.id, utcnow()).id == sooner.id
    # Under way still counts as upcoming; over does not.
    assert upcoming_for_lead(lead.id, clinic_time(10, 9, 44)).id == sooner.id  # 45 minutes
    assert upcoming_for_lead(lead.id, clinic_time(10, 9, 45)).id == later.id
    assert upcoming_for_lead(lead.id, clinic_time(18, 10)) is None
    assert appointment_for_update(lead.id, later.id).id == later.id
    assert appointment_for_update(make_lead().id, later.id) is None


def test_the_next_business_day_skips_the_weekend(ctx):
    assert next_business_day(date(2026, 12, 9)) == date(2026, 12, 10)
    assert next_business_day(date(2026, 12, 11)) == date(2026, 12, 14)
    assert next_business_day(date(2026, 12, 12)) == date(2026, 12, 14)


def test_erasure_blanks_where_and_why_and_cancels_what_is_booked(frozen_clock, coordinator):
    lead = make_lead()
    upcoming = booked(lead, coordinator, location="12 Elm St", note="Wheelchair access")
    past = booked(lead, coordinator, starts_at=clinic_time(9, 11))
    frozen_clock.move_to(clinic_time(9, 12))
    settle_appointment(past, lead, "attended", coordinator)
    actions.set_follow_up(lead, date(2026, 12, 15), coordinator, at=time(9, 30))
    db.session.commit()

    erase_lead(lead, coordinator)
    db.session.commit()
    db.session.expire_all()
    rows = {a.id: a for a in appointments_for_lead(lead.id)}
    assert {(a.location, a.note) for a in rows.values()} == {(None, None)}
    assert (rows[upcoming.id].status, rows[past.id].status) == ("cancelled", "attended")
    assert rows[upcoming.id].settled_by_id == coordinator.id
    assert (fresh(lead.id).follow_up_on, fresh(lead.id).follow_up_time) == (None, None)
    # The timeline's sentences about them never held the location or the note.
    assert all("Elm" not in e.body for e in events_of(lead.id, "appointment"))


def test_merging_moves_the_duplicates_consultations_to_the_kept_lead(frozen_clock, coordinator):
    keep, duplicate = make_lead(), make_lead()
    appointment = booked(duplicate, coordinator)
    actions.set_follow_up(duplicate, date(2026, 12, 15), coordinator, at=time(9, 30))
    db.session.commit()
    merge_leads(keep, duplicate, coordinator)
    db.session.commit()
    assert [a.id for a in appointments_for_lead(keep.id)] == [appointment.id]
    assert appointments_for_lead(duplicate.id) == []
    assert appointment_for_update(keep.id, appointment.id) is not None
    keep, duplicate = fresh(keep.id), fresh(duplicate.id)
    assert (keep.follow_up_on, keep.follow_up_time) == (date(2026, 12, 15), time(9, 30))
    assert (duplicate.follow_up_on, duplicate.follow_up_time) == (None, None)
    assert upcoming_for_lead(keep.id, utcnow()).starts_at == THURSDAY_2PM
