"""Patients choosing the same time at the same moment: exactly one gets it.

Real concurrency: each patient is a thread with its own browser (test client) and so its own
database session and connection, all posting the same slot once a barrier lets them go. On
SQLite the write lock queues them and the look at free slots turns the later ones away; on
PostgreSQL they run side by side and the partial unique index refuses every insert but one.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Appointment, Lead
from tests.booking_helpers import THURSDAY_9, book_path, key_for, make_host
from tests.conftest import csrf_token_from
from tests.lead_helpers import make_lead

PATIENTS = 6


def test_patients_racing_for_one_slot_book_it_once(app, frozen_clock):
    with app.app_context():
        make_host()
        leads = [make_lead() for _ in range(PATIENTS)]
        paths = [book_path(lead) for lead in leads]
        lead_ids = [lead.id for lead in leads]
    key = key_for(THURSDAY_9)
    barrier = threading.Barrier(PATIENTS)
    answers: dict[int, tuple[int, str]] = {}
    failures: list[BaseException] = []

    def patient(index: int) -> None:
        try:
            client = app.test_client()
            form = client.get(paths[index]).get_data(as_text=True)
            data = {"csrf_token": csrf_token_from(form), "slot": key}
            barrier.wait(timeout=30)
            answer = client.post(paths[index], data=data)
            answers[index] = (answer.status_code, answer.get_data(as_text=True))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [303] + [409] * (PATIENTS - 1)
    for status, html in answers.values():
        if status == 409:
            assert "that time was just taken" in html
    with app.app_context():
        booked = (
            db.session.execute(select(Appointment).where(Appointment.status == "booked"))
            .scalars()
            .all()
        )
        assert len(booked) == 1
        assert booked[0].starts_at == THURSDAY_9
        statuses_of_leads = {
            lead.id: lead.status
            for lead in db.session.execute(select(Lead).where(Lead.id.in_(lead_ids))).scalars()
        }
        assert sorted(statuses_of_leads.values()) == ["consult_booked"] + ["new"] * (PATIENTS - 1)
