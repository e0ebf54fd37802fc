"""Connection settings that make SQLite and PostgreSQL behave safely under concurrent requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from clinic.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000


def configure_engine(engine: Engine) -> None:
    """Install per-connection pragmas (SQLite) once per engine."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_clinic_configured", False):
        return
    engine._clinic_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection):
        # A write transaction that reads first must hold the write lock from its start, or two
        # of them deadlock and one fails with 'database is locked' instead of waiting.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a read-then-write unit of work atomically: committed on success, rolled back on error."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
