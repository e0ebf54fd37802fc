"""Reliability under load: gunicorn with 4 workers, 16 patients at once, a SIGTERM mid-load.

Runs on the database of the test run: the SQLite file in the SQLite run, PostgreSQL when
TEST_DATABASE_URL points there. Nothing may be lost, fail or be stored twice.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import Inquiry, Lead, OutboxMessage
from tests.server_helpers import Gunicorn, LoadResult, run_load, server_environment

INQUIRIES = 1000
CLIENTS = 16
WORKERS = 4


def stored_emails(tag: str) -> list[str]:
    return list(
        db.session.execute(
            select(Inquiry.email).where(Inquiry.email.like(f"load-{tag}-%"))
        ).scalars()
    )


@pytest.mark.server
def test_1000_concurrent_inquiries_are_stored_once_each(app, database_url):
    tag = uuid.uuid4().hex[:8]
    server = Gunicorn(server_environment(database_url), workers=WORKERS).start()
    try:
        result = run_load([server.port], range(INQUIRIES), clients=CLIENTS, tag=tag)
    finally:
        exit_code = server.stop()
    assert result.failures == []
    # Every 10th form was sent twice (a double click): both answers are the thanks redirect.
    assert result.statuses == {303: INQUIRIES + INQUIRIES // 10}
    assert len(result.acknowledged) == INQUIRIES
    with app.app_context():
        emails = stored_emails(tag)
        assert len(emails) == len(set(emails)) == INQUIRIES
        assert set(emails) == result.acknowledged
        assert db.session.execute(select(func.count(Lead.id))).scalar_one() == INQUIRIES
        acknowledgements = db.session.execute(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "acknowledgement")
        ).scalar_one()
        assert acknowledgements == INQUIRIES  # queued with each inquiry, once
    assert exit_code == 0
    assert server.errors() == ""
    rate = INQUIRIES / result.seconds
    print(f"\n{INQUIRIES} inquiries by {CLIENTS} clients in {result.seconds:.1f} s: {rate:.0f}/s")


@pytest.mark.server
def test_sigterm_during_load_drops_no_acknowledged_inquiry(app, database_url):
    tag = uuid.uuid4().hex[:8]
    server = Gunicorn(server_environment(database_url), workers=WORKERS).start()
    result = LoadResult()

    def load():
        run_load([server.port], range(600), clients=CLIENTS, tag=tag, double_every=0, result=result)

    loader = threading.Thread(target=load)
    loader.start()
    deadline = time.monotonic() + 60
    while len(result.acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.terminate()  # mid-load: 50 patients answered, hundreds still coming
    loader.join(120)
    exit_code = server.stop()
    assert 0 < len(result.acknowledged) < 600, "the shutdown should land mid-load"
    assert exit_code == 0
    with app.app_context():
        stored = set(stored_emails(tag))
    # Every patient who saw the thanks page has their inquiry stored; refused ones are not 303s.
    assert result.acknowledged <= stored
    assert all(
        "Connection" in failure or "Errno" in failure or "RemoteDisconnected" in failure
        for failure in result.failures
    ), result.failures[:5]


def test_sqlite_pragmas_are_set_on_every_connection(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context():
        connections = [db.engine.connect() for _ in range(3)]
        try:
            for connection in connections:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            for connection in connections:
                connection.close()


def _read_then_write(app, use_write_transaction: bool, barrier, errors: list) -> None:
    with app.app_context():
        try:
            if use_write_transaction:
                with write_transaction():
                    db.session.execute(select(func.count(Lead.id))).scalar_one()
                    barrier.wait(5)
                    db.session.execute(
                        text(
                            "INSERT INTO audit_entries (created_at, action, detail) "
                            "VALUES (CURRENT_TIMESTAMP, 'test', '')"
                        )
                    )
            else:
                db.session.execute(select(func.count(Lead.id))).scalar_one()
                barrier.wait(5)
                db.session.execute(
                    text(
                        "INSERT INTO audit_entries (created_at, action, detail) "
                        "VALUES (CURRENT_TIMESTAMP, 'test', '')"
                    )
                )
                db.session.commit()
        except threading.BrokenBarrierError:
            errors.append("barrier")
        except OperationalError as error:
            errors.append(str(error.orig))
            db.session.rollback()
        finally:
            db.session.remove()


@pytest.mark.parametrize("use_write_transaction", [True, False], ids=["immediate", "deferred"])
def test_concurrent_read_then_write_transactions_wait_instead_of_failing(
    app, database_url, use_write_transaction
):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL has row-level locking")
    errors: list[str] = []
    # With BEGIN IMMEDIATE the second transaction cannot read before the first commits, so the
    # barrier is not reached by both: it times out for one side, which then carries on.
    barrier = threading.Barrier(2 if not use_write_transaction else 1)
    threads = [
        threading.Thread(
            target=_read_then_write, args=(app, use_write_transaction, barrier, errors)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        written = db.session.execute(
            text("SELECT count(*) FROM audit_entries WHERE action = 'test'")
        ).scalar_one()
    if use_write_transaction:
        assert errors == [] and written == 2
    else:
        # The control: plain BEGIN deadlocks and SQLite fails one side at once.
        assert any("locked" in error for error in errors) and written == 1
