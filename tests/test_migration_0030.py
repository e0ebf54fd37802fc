"""Migration 0030 on a database that already holds consultations: two booked at one host's
start refuse the upgrade with a message naming them, and nothing changes; once one is moved it
goes through, and the downgrade takes it all back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from clinic import create_app
from clinic.extensions import db
from config import TestingConfig

BEFORE, AFTER = "0029_availability", "0030_patient_booking"
ADD_STAFF = text(
    "INSERT INTO staff_users (id, email, name, role, active, password_hash, session_token, "
    "created_at) VALUES (7, 'amara@clinic.test', 'Amara', 'coordinator', :yes, 'x', 't', "
    "CURRENT_TIMESTAMP)"
)
ADD_LEAD = text(
    "INSERT INTO leads (id, created_at, updated_at, name, name_key, status, condition_slug, "
    "source, first_inquiry_at, last_inquiry_at, last_activity_at, attempts, inquiry_count, "
    "furthest_stage) VALUES (:id, :at, :at, 'P', 'p', 'new', 'lupus', 'direct', :at, :at, :at, "
    "0, 1, 0)"
)
ADD_APPOINTMENT = text(
    "INSERT INTO appointments (id, lead_id, starts_at, duration_minutes, kind, host_id, status, "
    "booked_via, created_at, updated_at) VALUES (:id, :lead, :start, 30, 'phone', 7, 'booked', "
    "'staff', :at, :at)"
)
AT = "2026-12-01 10:00:00"
START = "2026-12-10 14:00:00"


@pytest.fixture
def scratch_url(database_url, tmp_path) -> Iterator[str]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    name = f"{url.database}_migration_0030"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_double_bookings_refuse_the_upgrade_until_one_is_moved(scratch_url, capfd):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(ADD_STAFF, {"yes": True})
            for number in (1, 2):
                connection.execute(ADD_LEAD, {"id": number, "at": AT})
                connection.execute(
                    ADD_APPOINTMENT, {"id": 10 + number, "lead": number, "start": START, "at": AT}
                )
        # Flask-Migrate logs the migration's error and exits.
        with pytest.raises(SystemExit):
            upgrade(revision=AFTER)
        said = capfd.readouterr().err
        assert "appointment ids 11..12" in said and "move or cancel one of each" in said
        columns = {column["name"] for column in inspect(db.engine).get_columns("appointments")}
        assert "sequence" not in columns
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE appointments SET status = 'cancelled' WHERE id = 12"))
        upgrade(revision=AFTER)
        inspector = inspect(db.engine)
        assert "appointment_reminders" in inspector.get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(
                text("SELECT sequence FROM appointments")
            ).scalars().all() == [
                0,
                0,
            ]
        downgrade(revision=BEFORE)
        columns = {column["name"] for column in inspect(db.engine).get_columns("appointments")}
        assert "sequence" not in columns and "timezone_hint" not in columns
        db.engine.dispose()
