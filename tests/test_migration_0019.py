"""Migration 0019 on a database that already has staff: the admins of the day keep exporting,
coordinators don't, and the downgrade works while other tables point at the accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from clinic import create_app
from clinic.extensions import db
from config import TestingConfig

BEFORE, AFTER = "0018_sign_in_security", "0019_audit_export_permission"
ADD_STAFF = text(
    "INSERT INTO staff_users (email, name, role, active, password_hash, session_token, created_at)"
    " VALUES (:email, :name, :role, :active, 'x', :token, CURRENT_TIMESTAMP)"
)


@pytest.fixture
def scratch_url(database_url, tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind, apart from the suite's own."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    name = f"{url.database}_migration_0019"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_admins_of_the_day_get_the_permission_and_the_downgrade_drops_it(scratch_url):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        staff = [
            ("ada@clinic.test", "admin", True),
            ("casey@clinic.test", "coordinator", True),
            ("old@clinic.test", "admin", False),
        ]
        with db.engine.begin() as connection:
            for number, (email, role, active) in enumerate(staff):
                connection.execute(
                    ADD_STAFF,
                    {
                        "email": email,
                        "name": email,
                        "role": role,
                        "active": active,
                        "token": number,
                    },
                )
            connection.execute(
                text(
                    "INSERT INTO audit_entries (created_at, actor_id, action, detail)"
                    " SELECT CURRENT_TIMESTAMP, id, 'sign_in', '' FROM staff_users"
                )
            )

        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            allowed = dict(
                connection.execute(text("SELECT email, can_export FROM staff_users")).all()
            )
            connection.execute(
                ADD_STAFF,
                {
                    "email": "new@clinic.test",
                    "name": "New",
                    "role": "admin",
                    "active": True,
                    "token": "n",
                },
            )
            added = connection.execute(
                text("SELECT can_export FROM staff_users WHERE email = 'new@clinic.test'")
            ).scalar_one()
        assert allowed == {
            "ada@clinic.test": True,
            "casey@clinic.test": False,
            "old@clinic.test": True,
        }
        assert not added  # a row written by something other than the app

        downgrade(revision=BEFORE)
        columns = {column["name"] for column in inspect(db.engine).get_columns("staff_users")}
        assert "can_export" not in columns
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_entries")).scalar() == 3
        db.engine.dispose()
