"""`flask availability set` replaces a person's hours for the days and kind given, and says what
it set; `flask appointments list` prints every consultation, as text or as JSON lines with the
exact keys set-up scripts read."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Appointment, WeeklyHours
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, make_lead
from tests.staff_helpers import make_staff


@pytest.fixture
def amara(app):
    with app.app_context():
        return make_staff("amara@clinic.test", name="Amara Okafor", role="admin")


def stored(app) -> list[tuple]:
    with app.app_context():
        return sorted(
            (h.kind, h.weekday, f"{h.start_time:%H:%M}-{h.end_time:%H:%M}", h.location)
            for h in db.session.execute(select(WeeklyHours)).scalars()
        )


def test_availability_set(app, runner, amara):
    result = runner.invoke(
        args=[
            "availability",
            "set",
            "amara@clinic.test",
            "--days",
            "mon-fri",
            "--from",
            "09:00",
            "--to",
            "17:00",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "amara@clinic.test: phone 09:00–17:00 on Mon, Tue, Wed, Thu, Fri (America/New_York).\n"
    )
    result = runner.invoke(
        args=[
            "availability",
            "set",
            "AMARA@clinic.test",
            "--days",
            "mon,wed",
            "--from",
            "13:00",
            "--to",
            "15:30",
            "--kind",
            "in_person",
            "--location",
            "Room 2",
        ]
    )
    assert result.output == (
        "amara@clinic.test: in person 13:00–15:30 on Mon, Wed at Room 2 (America/New_York).\n"
    )
    # Replacing Wednesday's phone hours leaves the other days and the in-person hours alone.
    runner.invoke(
        args=[
            "availability",
            "set",
            "amara@clinic.test",
            "--days",
            "wed",
            "--from",
            "10:00",
            "--to",
            "11:00",
        ]
    )
    assert stored(app) == [
        ("in_person", 0, "13:00-15:30", "Room 2"),
        ("in_person", 2, "13:00-15:30", "Room 2"),
        ("phone", 0, "09:00-17:00", None),
        ("phone", 1, "09:00-17:00", None),
        ("phone", 2, "10:00-11:00", None),
        ("phone", 3, "09:00-17:00", None),
        ("phone", 4, "09:00-17:00", None),
    ]
    with app.app_context():
        assert audit_rows("availability changed")[0].actor_email.startswith("command line")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@clinic.test", "--days", "mon", "--from", "09:00", "--to", "10:00"],
         "Error: There is no staff account for nobody@clinic.test.\n"),
        (["amara@clinic.test", "--days", "mon", "--from", "9am", "--to", "10:00"],
         "Error: “9am” is not a time like 09:00.\n"),
        (["amara@clinic.test", "--days", "mon", "--from", "10:00", "--to", "09:00"],
         "Error: Monday: the end (09:00) must be after the start (10:00).\n"),
        (["amara@clinic.test", "--days", "mon", "--from", "09:02", "--to", "10:00"],
         "Error: Monday: use times on 5-minute steps, such as 09:00 or 09:05 (09:02 is not).\n"),
        (["amara@clinic.test", "--days", "funday", "--from", "09:00", "--to", "10:00"],
         "Error: “funday” is not a day; use mon, tue, … sun.\n"),
        (["amara@clinic.test", "--days", "mon", "--from", "09:00", "--to", "10:00",
          "--kind", "in_person"],
         "Error: Monday: say where in-person consultations happen.\n"),
    ],
)  # fmt: skip
def test_availability_set_errors(app, runner, amara, args, message):
    result = runner.invoke(args=["availability", "set", *args])
    assert result.exit_code == 1
    assert result.output == message
    assert stored(app) == []


def test_appointments_list(app, runner, amara):
    with app.app_context():
        lead = make_lead("Zoë Núñez")
        rows = [
            # Winter (UTC-5) and summer time (UTC-4), one with nobody to hold it.
            Appointment(
                lead_id=lead.id,
                starts_at=datetime(2027, 3, 12, 9, 0, tzinfo=CLINIC_TZ),
                duration_minutes=30,
                kind="video",
                host_id=amara.id,
                status="booked",
            ),
            Appointment(
                lead_id=lead.id,
                starts_at=datetime(2027, 3, 15, 14, 30, tzinfo=CLINIC_TZ),
                duration_minutes=45,
                kind="in_person",
                host_id=None,
                status="cancelled",
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
        lead_id = lead.id
    result = runner.invoke(args=["appointments", "list", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "id": ids[0],
            "lead_id": lead_id,
            "starts_at": "2027-03-12T09:00:00-05:00",
            "ends_at": "2027-03-12T09:30:00-05:00",
            "kind": "video",
            "staff_email": "amara@clinic.test",
            "status": "booked",
        },
        {
            "id": ids[1],
            "lead_id": lead_id,
            "starts_at": "2027-03-15T14:30:00-04:00",
            "ends_at": "2027-03-15T15:15:00-04:00",
            "kind": "in_person",
            "staff_email": None,
            "status": "cancelled",
        },
    ]
    assert list(json.loads(lines[0])) == [
        "id", "lead_id", "starts_at", "ends_at", "kind", "staff_email", "status",
    ]  # fmt: skip
    text = runner.invoke(args=["appointments", "list", "--from", "2027-03-13"]).output
    assert text == (
        f"{ids[1]}\tlead {lead_id}\t2027-03-15 14:30–15:15 EDT\tin_person\t-\tcancelled\n"
    )
    none = runner.invoke(args=["appointments", "list", "--to", "2027-03-11"])
    assert none.exit_code == 0 and none.output == ""
    backwards = runner.invoke(
        args=["appointments", "list", "--from", "2027-03-13", "--to", "2027-03-12"]
    )
    assert backwards.exit_code == 1 and "--to is before --from." in backwards.output
