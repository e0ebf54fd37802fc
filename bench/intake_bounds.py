"""The clinic with its storing replaced, to bound what any way of storing an inquiry can reach.

Issue 6 asks intake to reach 60% of bench/baseline_app.py's throughput. Everything an intake
cycle does besides storing (the form page, the session, CSRF, WTForms, the response) is the
same whatever way inquiries are stored, so serving the clinic with ``record_inquiry`` replaced
shows the ceiling of every design:

- ``storing_one_row``: the least any design that never loses an inquiry can do before it
  answers — one narrow row (the validated inquiry and its reference as JSON, under its form
  token's unique key) committed, as a journal whose rows are filed into leads later would.
  Filing is left out altogether, so this is an upper bound even for such a design.
- ``storing_nothing``: no database write at all (an answered inquiry would be lost).

Served by gunicorn like the clinic (``bench.intake_bounds:storing_one_row``); benchmark use
only. ``JOURNAL_SQL`` is created by the benchmark before the server starts.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import text

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import intake, references

JOURNAL_SQL = {
    "sqlite": "CREATE TABLE IF NOT EXISTS bench_inquiry_journal (id INTEGER PRIMARY KEY, "
    "idempotency_key VARCHAR(64) NOT NULL UNIQUE, received_at TIMESTAMP NOT NULL, "
    "payload TEXT NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS bench_inquiry_journal (id SERIAL PRIMARY KEY, "
    "idempotency_key VARCHAR(64) NOT NULL UNIQUE, received_at TIMESTAMPTZ NOT NULL, "
    "payload TEXT NOT NULL)",
}
_JOURNAL_INSERT = text(
    "INSERT INTO bench_inquiry_journal (idempotency_key, received_at, payload) "
    "VALUES (:key, CURRENT_TIMESTAMP, :payload)"
)


def store_one_row(data: intake.InquiryData, **_ignored) -> intake.IntakeResult:
    reference = references.new_reference()
    payload = json.dumps({**asdict(data), "reference": reference})
    with write_transaction():  # as intake writes: BEGIN IMMEDIATE on SQLite, then commit
        db.session.execute(_JOURNAL_INSERT, {"key": data.idempotency_key, "payload": payload})
    return intake.IntakeResult(0, 0, created_lead=True, reference=reference)


def store_nothing(data: intake.InquiryData, **_ignored) -> intake.IntakeResult:
    return intake.IntakeResult(0, 0, created_lead=True, reference=references.new_reference())


def _clinic_storing_with(store):
    def serve(environ, start_response):
        from wsgi import app  # in the gunicorn worker only: importing builds the clinic

        intake.record_inquiry = store  # the view calls intake.record_inquiry(...)
        return app(environ, start_response)

    return serve


storing_one_row = _clinic_storing_with(store_one_row)
storing_nothing = _clinic_storing_with(store_nothing)
