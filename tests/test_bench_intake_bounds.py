"""The intake ceiling's variants (bench/intake_bounds.py) store what they say and nothing else.

`bench/run.py --intake-bounds` serves the clinic with intake's storing replaced; if the view
stopped calling ``intake.record_inquiry`` through its module, the variants would silently time
the real intake and the ceiling would be wrong.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from bench import intake_bounds
from clinic.extensions import db
from clinic.leads import intake
from clinic.models import Inquiry, Lead


@pytest.fixture
def journal(app):
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text(intake_bounds.JOURNAL_SQL[db.engine.dialect.name]))
    yield
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_inquiry_journal"))


def _stored(app) -> tuple[int, int, list[str]]:
    with app.app_context():
        leads = db.session.scalar(select(func.count()).select_from(Lead))
        inquiries = db.session.scalar(select(func.count()).select_from(Inquiry))
        rows = db.session.execute(text("SELECT payload FROM bench_inquiry_journal")).scalars()
        return leads, inquiries, list(rows)


def test_storing_one_row_writes_the_inquiry_as_one_journal_row(
    app, client, submit_inquiry, journal, monkeypatch
):
    monkeypatch.setattr(intake, "record_inquiry", intake_bounds.store_one_row)
    assert submit_inquiry().status_code == 303
    leads, inquiries, rows = _stored(app)
    assert (leads, inquiries, len(rows)) == (0, 0, 1)
    payload = json.loads(rows[0])
    assert (payload["name"], payload["email"]) == ("Zoë Núñez", "zoe.nunez@example.com")
    assert len(payload["idempotency_key"]) == 64
    # The thanks page shows the reference the journal row holds, as it would a stored one's.
    assert payload["reference"] in client.get("/inquire/thanks").get_data(as_text=True)


def test_storing_nothing_answers_without_writing(app, client, submit_inquiry, journal, monkeypatch):
    monkeypatch.setattr(intake, "record_inquiry", intake_bounds.store_nothing)
    assert submit_inquiry().status_code == 303
    assert _stored(app) == (0, 0, [])
    assert client.get("/inquire/thanks").status_code == 200
