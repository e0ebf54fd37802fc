"""A database that is down or locked answers 503 (never a trace), and the app recovers by itself.

The PostgreSQL case runs a throwaway server of its own (Debian's binaries, a free port, a
temporary data folder) so it can stop and start it without touching anyone else's database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from clinic import create_app
from clinic.content.loader import sync_content
from clinic.extensions import db
from clinic.models import Inquiry
from config import TestingConfig
from tests.conftest import csrf_token_from, form_token_from, valid_inquiry
from tests.server_helpers import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ThrowawayPostgres:
    """initdb + pg_ctl on 127.0.0.1:<free port>, run as the postgres user when we are root."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="clinic-outage-pg-"))
        self.data = self.folder / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")  # the server must not hold our output pipes
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def migrated_app(url: str):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, DB_CONNECT_TIMEOUT_SECONDS=2)
    with app.app_context():
        upgrade()
        sync_content()
        db.session.remove()
    return app


def loaded_form(client, **overrides) -> dict:
    html = client.get("/inquire").get_data(as_text=True)
    return valid_inquiry(
        csrf_token=csrf_token_from(html), form_token=form_token_from(html), **overrides
    )


def inquiry_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Inquiry.id))).scalar_one()


def assert_friendly_503(response) -> None:
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 503
    assert "We couldn't save or load your request just now" in html
    assert "call us at" in html and "+1 555 010 0199" in html
    for word in ("Traceback", "psycopg", "sqlite", "OperationalError", "SELECT", "INSERT"):
        assert word not in html


@pytest.fixture
def postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    server = ThrowawayPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.mark.server
def test_postgres_outage_gives_503_then_recovers_without_restart(postgres):
    app = migrated_app(postgres.url)
    client = app.test_client()
    assert client.post("/inquire", data=loaded_form(client)).status_code == 303
    assert client.get("/healthz").status_code == 200

    form = loaded_form(client, email="second@example.com", phone="", preferred_contact="email")
    postgres.stop()
    assert_friendly_503(client.post("/inquire", data=form))
    assert_friendly_503(client.get("/conditions/lupus"))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json == {
        "status": "unavailable",
        "database": "unavailable",
    }

    postgres.start()
    # Same app, same pool: the dead connections are noticed and replaced.
    assert client.get("/healthz").status_code == 200
    assert client.post("/inquire", data=form).status_code == 303
    assert inquiry_count(app) == 2


def test_a_locked_sqlite_database_gives_503_then_recovers(tmp_path, monkeypatch):
    monkeypatch.setattr("clinic.database.SQLITE_BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "locked.db"
    app = migrated_app(f"sqlite:///{path}")
    client = app.test_client()
    form = loaded_form(client)

    blocker = sqlite3.connect(path, isolation_level=None, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert_friendly_503(client.post("/inquire", data=form))
    finally:
        blocker.execute("COMMIT")
        blocker.close()

    assert client.post("/inquire", data=form).status_code == 303
    assert inquiry_count(app) == 1
