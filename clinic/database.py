"""Connection settings that make SQLite and PostgreSQL behave safely under concurrent requests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from clinic.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000


def engine_options_for(app: Flask) -> dict:
    """Pool settings per database, under whatever SQLALCHEMY_ENGINE_OPTIONS sets explicitly.

    Parameters are hidden from SQL error messages everywhere: those messages reach logs, and
    an inquiry's parameters are a patient's name, contact details and health condition.
    PostgreSQL gets pre-ping (a connection killed by a server restart is replaced, not handed to
    a request) and a bounded pool and connect timeout, so an outage answers 503 quickly.
    """
    config = app.config
    options: dict = {"hide_parameters": True}
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        options.update(
            pool_pre_ping=True,
            pool_size=config["DB_POOL_SIZE"],
            max_overflow=config["DB_MAX_OVERFLOW"],
            pool_timeout=config["DB_POOL_TIMEOUT_SECONDS"],
            pool_recycle=1800,
            connect_args={"connect_timeout": config["DB_CONNECT_TIMEOUT_SECONDS"]},
        )
    options.update(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    return options


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
        # Content a statement deletes or overwrites is zeroed, not left in free space: erasure
        # (clinic.leads.erasure) must leave no patient's words readable in the file. The inquiry
        # benchmark shows no cost beyond its noise.
        cursor.execute("PRAGMA secure_delete = ON")
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


def refresh_statistics() -> None:
    """Gather the query planner's statistics of every table, from every row.

    SQLite keeps none until asked, so a database grown from empty plans blind and picks slow
    plans for searches. Every row is read because SQLite's sample misjudges how many leads a
    condition picks out; that holds the write lock for a while on a large database.
    PostgreSQL's autovacuum analyses by itself; an ANALYZE here only refreshes it.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit = 0")
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def truncate_sqlite_log() -> None:
    """Copy SQLite's write-ahead log into the database and cut the log file to nothing.

    The log keeps each page a transaction wrote, as it was then, until a checkpoint restarts it
    and after that until overwritten: just after an erasure, the log still holds copies of the
    erased message's words (the pages as the inquiry, its search entries and their merges wrote
    them). A TRUNCATE checkpoint waits, up to the busy timeout,
    for readers on older snapshots and holds new writers back meanwhile. On PostgreSQL and
    for an in-memory database it does nothing."""
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            return
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        logging.getLogger(__name__).warning(
            "the write-ahead log could not be emptied (readers kept it busy); "
            "the next checkpoint overwrites it"
        )
