"""Shared fixtures: an app on a clean, migrated database (SQLite, or TEST_DATABASE_URL).

The clock: a test that reads "today" (or "now", through utcnow(), datetime.now, date.today or
time.time) asks for ``frozen_clock``, which stops the clock at ``FROZEN_AT`` for the test and
can move it::

    def test_overdue_after_midnight(app, frozen_clock):
        frozen_clock.move_to(datetime(2027, 3, 14, 3, 30, tzinfo=CLINIC_TZ))
        frozen_clock.shift(timedelta(hours=1))

To find tests that depend on the date they run, run the suite as if it started at another
moment (the clock then ticks on from there; frozen tests are not affected)::

    CLINIC_TEST_NOW=2027-03-14T02:30-04:00 .venv/bin/pytest -q -p no:cacheprovider

Parallel runs (pytest-xdist, ``-n 2``): each worker gets its own database, a SQLite file in its
own temporary folder or, on PostgreSQL, TEST_DATABASE_URL's database with the worker's name
appended (test_f_gw0), created on the same server when missing.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from clinic import create_app
from clinic.content.loader import sync_content
from clinic.extensions import db
from config import TestingConfig

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CLINIC_TZ = ZoneInfo(TestingConfig.CLINIC_TIMEZONE)
# A Wednesday mid-month, mid-morning in the clinic: inside business hours, far from any week,
# month or daylight-saving boundary.
FROZEN_AT = datetime(2026, 12, 9, 10, 0, tzinfo=CLINIC_TZ)
_RUN_TRAVEL: list[time_machine.travel] = []


def pytest_configure(config: pytest.Config) -> None:
    """Start the whole run at CLINIC_TEST_NOW (an ISO 8601 instant) when it is set."""
    moment = os.environ.get("CLINIC_TEST_NOW", "").strip()
    if moment:
        start = datetime.fromisoformat(moment)
        travel = time_machine.travel(start if start.tzinfo else start.replace(tzinfo=CLINIC_TZ))
        travel.start()
        _RUN_TRAVEL.append(travel)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _RUN_TRAVEL:
        _RUN_TRAVEL.pop().stop()


@pytest.fixture
def frozen_clock():
    """The clock stopped at FROZEN_AT; ``move_to(instant)`` and ``shift(timedelta)`` move it."""
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


def worker_database_url(url: str, worker: str | None) -> str:
    """The database of one xdist worker: the run's PostgreSQL database name with the worker's
    appended, created when missing. SQLite (a file per worker already) and runs without workers
    keep the URL they were given."""
    if not worker or not url.startswith("postgresql"):
        return url
    server = make_url(url)
    name = f"{server.database}_{worker}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        known = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if known is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Give the run a clean schema: drop everything the URL's database holds."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = (
        worker_database_url(TEST_DATABASE_URL, worker)
        if TEST_DATABASE_URL
        else f"sqlite:///{tmp_path_factory.mktemp('db') / 'clinic-test.db'}"
    )
    reset_database(url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        sync_content()
        db.engine.dispose()
    return url


# PostgreSQL checks the foreign keys of every row DELETE removes: after a test of thousands of
# leads, emptying the tables row by row is slow. TRUNCATE checks nothing, but costs more than
# DELETE on small tables, so it is kept for large ones.
TRUNCATE_FROM_INQUIRIES = 1000


# The shipped pages, loaded once per run, stay between tests (see _restore_shipped_pages).
CONTENT_TABLES = ("page_reviews", "page_revisions", "articles")


def _empty_tables() -> None:
    _restore_shipped_pages()
    # A stored consent wording is never deleted (app servers remember their ids), like the pages.
    keep = {"alembic_version", "consent_texts", *CONTENT_TABLES}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    reload_pages = False
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql" and _inquiries_at_least(
            connection, TRUNCATE_FROM_INQUIRIES
        ):
            # TRUNCATE refuses a table another one keeps a foreign key to (the pages name their
            # authors), so the pages go too and are loaded again.
            tables += [db.metadata.tables[name] for name in CONTENT_TABLES]
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(text(f"TRUNCATE {', '.join(quote(t.name) for t in tables)}"))
            reload_pages = True
        else:
            for table in tables:
                connection.execute(table.delete())
        # The message search is written by the code that writes inquiries, not by a trigger.
        connection.execute(text("DELETE FROM search_messages"))
    if reload_pages:
        sync_content()


def _restore_shipped_pages() -> None:
    """A test that edited or reviewed pages leaves revisions (and staff ids) behind: the pages go
    back to what `content sync` loads into an empty database, before the staff rows go. Untouched,
    every page has exactly its one shipped revision and no review."""
    with db.engine.connect() as connection:
        touched = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM page_reviews) > 0"
                " OR (SELECT count(*) FROM page_revisions) <> (SELECT count(*) FROM articles)"
            )
        ).scalar_one()
    if touched:
        db.session.rollback()
        for table in CONTENT_TABLES:
            db.session.execute(db.metadata.tables[table].delete())
        db.session.commit()
        sync_content()


def _inquiries_at_least(connection, count: int) -> bool:
    sample = text("SELECT count(*) FROM (SELECT 1 FROM inquiries LIMIT :count) AS sample")
    return connection.execute(sample, {"count": count}).scalar_one() >= count


@pytest.fixture
def app(database_url):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for calling domain functions directly."""
    with app.app_context():
        yield


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def form_token_from(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match, "page has no form token"
    return match.group(1)


def valid_inquiry(**overrides) -> dict:
    data = {
        "name": "Zoë Núñez",
        "email": "zoe.nunez@example.com",
        "phone": "(212) 555-0142",
        "condition": "lupus",
        "message": "I was diagnosed in 2019.\nWhat do the studies show?",
        "preferred_contact": "phone",
        "best_time": "morning",
        "payment": "not_sure",
        "consent": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def submit_inquiry(client):
    """Load the form like a browser (cookies, tokens), then post it."""

    def submit(path: str = "/inquire", **overrides):
        page = client.get(path)
        html = page.get_data(as_text=True)
        data = valid_inquiry(**overrides)
        data.setdefault("csrf_token", csrf_token_from(html))
        data.setdefault("form_token", form_token_from(html))
        data.setdefault("submitted_from", path)
        return client.post("/inquire", data=data)

    return submit
