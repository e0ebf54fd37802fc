"""Shared fixtures: an app on a clean, migrated database (SQLite, or TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from clinic import create_app
from clinic.content.loader import sync_content
from clinic.extensions import db
from config import TestingConfig

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


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
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'clinic-test.db'}"
    reset_database(url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        sync_content()
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    keep = {"alembic_version", "articles"}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())


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
