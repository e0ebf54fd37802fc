"""Reminders the day before and two hours before a consultation: sent once each, through the
outbox, never for a cancelled or past consultation, and never twice, a restarted worker
included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from clinic import create_app
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import booking
from clinic.models import Appointment, AppointmentReminder, Lead, OutboxMessage, utcnow
from clinic.notify import booking_mail, reminders
from config import TestingConfig
from tests.booking_helpers import FRIDAY_9, THURSDAY_9, key_for, make_host, messages
from tests.lead_helpers import make_lead


def book(lead: Lead, at=FRIDAY_9) -> Appointment:
    with write_transaction():
        appointment = booking.book_as_patient(
            db.session.get_one(Lead, lead.id), key_for(at), now=utcnow()
        )
    return appointment


def reminder_kinds() -> list[str]:
    db.session.expire_all()
    return [message.body.split("\n", 1)[0] for message in messages(booking_mail.REMINDER)]


def reminder_count() -> int:
    return db.session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == booking_mail.REMINDER)
    ).scalar_one()


def test_each_reminder_is_queued_once_even_by_a_restarted_worker(
    frozen_clock, ctx, runner, database_url
):
    make_host()
    lead = make_lead(email="pat@example.com", condition="lupus", message="Knees.")
    appointment = book(lead)
    assert reminders.queue_due_reminders() == 0  # 47 hours ahead: nothing due yet

    frozen_clock.move_to(FRIDAY_9 - timedelta(hours=24))
    assert reminders.queue_due_reminders() == 1
    assert reminders.queue_due_reminders() == 0
    assert runner.invoke(args=["outbox", "reminders"]).output.startswith("outbox: 0 reminder")
    restarted = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with restarted.app_context():
        assert reminders.queue_due_reminders() == 0
        db.session.remove()
    assert reminder_count() == 1

    frozen_clock.move_to(FRIDAY_9 - timedelta(hours=1, minutes=59))
    assert reminders.queue_due_reminders() == 1
    with restarted.app_context():
        assert reminders.queue_due_reminders() == 0
        db.session.remove()
    assert reminders.queue_due_reminders() == 0
    frozen_clock.move_to(FRIDAY_9 + timedelta(minutes=1))
    assert reminders.queue_due_reminders() == 0

    db.session.expire_all()
    sent = messages(booking_mail.REMINDER)
    assert [message.recipient for message in sent] == ["pat@example.com"] * 2
    for message in sent:
        assert message.subject.startswith("Reminder: your consultation on Friday 11 December 2026")
        assert "9:00 am – 9:30 am" in message.body and "/booking/" in message.body
        text = (message.subject + message.body + message.payload).lower()
        assert "lupus" not in text and "knees" not in text
    kinds = db.session.execute(
        select(AppointmentReminder.kind).where(AppointmentReminder.appointment_id == appointment.id)
    ).scalars()
    assert sorted(kinds) == ["24h", "2h"]


def test_the_worker_round_queues_and_sends_reminders(frozen_clock, ctx, runner):
    make_host()
    book(make_lead(email="pat@example.com"))
    frozen_clock.move_to(FRIDAY_9 - timedelta(hours=23))
    runner.invoke(args=["outbox", "send"])
    runner.invoke(args=["outbox", "send"])
    assert reminder_count() == 1


def test_no_reminder_for_a_cancelled_or_past_consultation(frozen_clock, ctx):
    make_host()
    cancelled = book(make_lead(email="a@example.com"))
    with write_transaction():
        appointment = db.session.get_one(Appointment, cancelled.id)
        booking.cancel_as_patient(
            appointment, db.session.get_one(Lead, appointment.lead_id), now=utcnow()
        )
    frozen_clock.move_to(FRIDAY_9 - timedelta(hours=3))
    assert reminders.queue_due_reminders() == 0
    frozen_clock.move_to(FRIDAY_9 + timedelta(hours=1))
    assert reminders.queue_due_reminders() == 0
    assert reminder_count() == 0


def test_a_consultation_booked_late_gets_only_the_reminder_still_ahead(frozen_clock, ctx):
    make_host()
    frozen_clock.move_to(THURSDAY_9 - timedelta(hours=18))  # Wednesday 15:00
    eleven = THURSDAY_9 + timedelta(hours=2)  # the first time four business hours ahead
    book(make_lead(email="late@example.com"), at=eleven)
    assert reminders.queue_due_reminders() == 0  # the day-before moment has passed
    frozen_clock.move_to(eleven - timedelta(hours=2))
    assert reminders.queue_due_reminders() == 1
    db.session.expire_all()
    [reminder] = db.session.execute(select(AppointmentReminder)).scalars().all()
    assert reminder.kind == "2h"


def test_moving_a_consultation_withdraws_a_waiting_reminder_and_reminds_again(frozen_clock, ctx):
    make_host()
    lead = make_lead(email="pat@example.com")
    appointment = book(lead, at=THURSDAY_9 + timedelta(days=7, minutes=80))  # Thu 17th 10:20
    starts = appointment.starts_at
    frozen_clock.move_to(starts - timedelta(hours=24))
    assert reminders.queue_due_reminders() == 1
    with write_transaction():
        locked = db.session.get_one(Appointment, appointment.id)
        booking.reschedule_as_patient(
            locked,
            db.session.get_one(Lead, lead.id),
            key_for(starts + timedelta(hours=24)),
            now=utcnow(),
        )
        assert reminders.withdraw_pending(locked.id) == 1
    assert reminder_count() == 0
    frozen_clock.move_to(starts)  # 24 hours before the new time
    assert reminders.queue_due_reminders() == 1
