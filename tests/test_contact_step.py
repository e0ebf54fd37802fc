"""Recording a contact in one step: the attempt, the stage and the next follow-up land together
(one moment, one group on the timeline) or not at all, and each channel has its own outcomes."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.appointments import AppointmentDetails, AppointmentError
from clinic.leads.contact_step import ContactStep, record_contact_step
from clinic.leads.pipeline import (
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    OUTCOMES_BY_CHANNEL,
    REACHED_OUTCOMES,
    channel_for_preference,
)
from clinic.models import Appointment, Lead, utcnow
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, events_of, make_lead
from tests.staff_helpers import make_staff

FRIDAY_11AM = datetime(2026, 12, 11, 11, 0, tzinfo=CLINIC_TZ)  # the clock stands on Wednesday


@pytest.fixture
def coordinator(ctx):
    return make_staff("casey@clinic.test", name="Casey Coordinator")


def fresh(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def consultation() -> AppointmentDetails:
    return AppointmentDetails(starts_at=FRIDAY_11AM, duration_minutes=30, kind="in_person")


def test_one_step_logs_the_call_moves_the_stage_and_sets_the_follow_up(frozen_clock, coordinator):
    lead = make_lead()
    step = ContactStep(
        channel="call",
        outcome="no_answer",
        note="Rang at lunch",
        status="contacted",
        follow_up_on=date(2026, 12, 10),
        follow_up_time=time(16, 15),
    )
    events = record_contact_step(lead, step, coordinator)
    db.session.commit()

    now = utcnow()
    assert [e.kind for e in events] == ["contact", "status", "follow_up"]
    assert {e.created_at for e in events} == {now}
    lead = fresh(lead.id)
    assert (lead.status, lead.attempts, lead.first_contacted_at) == ("contacted", 1, now)
    assert (lead.follow_up_on, lead.follow_up_time) == (date(2026, 12, 10), time(16, 15))
    [contact] = events_of(lead.id, "contact")
    assert (contact.channel, contact.outcome, contact.body) == (
        "call",
        "no_answer",
        "Rang at lunch",
    )
    assert [e.body for e in events_of(lead.id, "follow_up")] == [
        "Next follow-up Thu 10 Dec 2026 at 16:15 (was none)"
    ]
    assert [a.detail for a in audit_rows("lead_changed")] == [
        "contact call no_answer",
        "status new -> contacted",
        "follow-up - -> 2026-12-10 16:15",
    ]


def test_consult_booked_books_the_consultation_in_the_same_step(frozen_clock, coordinator):
    lead = make_lead()
    step = ContactStep(
        channel="sms",
        outcome="replied",
        status="consult_booked",
        follow_up_on=date(2026, 12, 14),
        appointment=consultation(),
    )
    events = record_contact_step(lead, step, coordinator)
    db.session.commit()

    assert [e.kind for e in events] == ["contact", "status", "appointment", "follow_up"]
    assert events[2].body == "Consultation booked: Friday 11 December, 11:00–11:30, in person"
    lead = fresh(lead.id)
    assert (lead.status, lead.attempts_before_reach) == ("consult_booked", 0)
    [appointment] = db.session.execute(select(Appointment)).scalars()
    assert (appointment.lead_id, appointment.starts_at) == (lead.id, FRIDAY_11AM)


def test_consult_booked_without_the_consultation_changes_nothing(frozen_clock, coordinator):
    lead = make_lead()
    step = ContactStep(
        channel="call", outcome="reached", status="consult_booked", follow_up_on=date(2026, 12, 14)
    )
    with pytest.raises(actions.LeadActionError, match="Give the consultation's date and time"):
        record_contact_step(lead, step, coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.status, lead.attempts, lead.follow_up_on, lead.first_contacted_at) == (
        "new",
        0,
        None,
        None,
    )
    assert [e.kind for e in events_of(lead.id)] == ["inquiry"]
    assert audit_rows("lead_changed") == []


@pytest.mark.parametrize(
    ("step", "error", "message"),
    [
        (ContactStep("email", "reached"), actions.LeadActionError, "sent, replied, bounced"),
        (ContactStep("sms", "voicemail"), actions.LeadActionError, "sent, replied, bounced"),
        (
            ContactStep("call", "replied"),
            actions.LeadActionError,
            "reached, no answer, left voicemail, wrong number",
        ),
        (ContactStep("fax", "sent"), actions.LeadActionError, "call, email or text"),
        (ContactStep("call", "reached", status="lost"), actions.LeadActionError, "why the lead"),
        (
            ContactStep("call", "reached", follow_up_time=time(9)),
            actions.LeadActionError,
            "follow-up day",
        ),
        (
            ContactStep("call", "reached", status="contacted", appointment=consultation()),
            actions.LeadActionError,
            "Consult booked",
        ),
        (
            ContactStep(
                "call",
                "reached",
                status="consult_booked",
                appointment=AppointmentDetails(FRIDAY_11AM, 30, "telepathy"),
            ),
            AppointmentError,
            "phone, video or in person",
        ),
        (ContactStep("call", "reached", note="x" * 5001), actions.LeadActionError, "at most"),
    ],
)
def test_a_refused_step_changes_nothing(frozen_clock, coordinator, step, error, message):
    lead = make_lead()
    with pytest.raises(error, match=message):
        record_contact_step(lead, step, coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.status, lead.attempts) == ("new", 0)
    assert [e.kind for e in events_of(lead.id)] == ["inquiry"]
    assert db.session.execute(select(func.count()).select_from(Appointment)).scalar_one() == 0


def test_no_status_keeps_the_stage_and_no_date_clears_the_follow_up(frozen_clock, coordinator):
    lead = make_lead(status="lost", lost_reason="cost", follow_up_on=date(2026, 12, 20))
    events = record_contact_step(lead, ContactStep("email", "bounced"), coordinator)
    db.session.commit()
    assert [e.kind for e in events] == ["contact", "follow_up"]
    lead = fresh(lead.id)
    assert (lead.status, lead.lost_reason, lead.follow_up_on) == ("lost", "cost", None)
    # The same stage again is no change either.
    again = ContactStep("call", "reached", status="lost", lost_reason="cost")
    events = record_contact_step(lead, again, coordinator)
    assert [e.kind for e in events] == ["contact"]


def test_each_channel_has_its_own_outcomes():
    assert set(OUTCOMES_BY_CHANNEL) == set(CONTACT_CHANNELS)
    assert {o for outcomes in OUTCOMES_BY_CHANNEL.values() for o in outcomes} == set(
        CONTACT_OUTCOMES
    )
    assert (
        OUTCOMES_BY_CHANNEL["email"] == OUTCOMES_BY_CHANNEL["sms"] == ("sent", "replied", "bounced")
    )
    assert set(REACHED_OUTCOMES) == {"reached", "replied"}
    assert [channel_for_preference(p) for p in ("phone", "email", "sms", None, "pigeon")] == [
        "call",
        "email",
        "sms",
        None,
        None,
    ]


def test_a_reply_reaches_the_person_and_sent_or_bounced_messages_do_not(frozen_clock, coordinator):
    lead = make_lead()
    for outcome in ("sent", "bounced"):
        record_contact_step(lead, ContactStep("email", outcome), coordinator)
    record_contact_step(lead, ContactStep("call", "wrong_number"), coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.attempts, lead.attempts_before_reach) == (3, None)

    frozen_clock.shift(60)
    record_contact_step(lead, ContactStep("sms", "sent"), coordinator)
    frozen_clock.shift(60)
    record_contact_step(lead, ContactStep("sms", "replied"), coordinator)
    frozen_clock.shift(60)
    record_contact_step(lead, ContactStep("call", "reached"), coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.attempts, lead.attempts_before_reach) == (6, 4)
