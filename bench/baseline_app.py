"""The yardstick for intake throughput: a bare Flask app that serves a form and stores one row
per post, and nothing else — same stack (Flask, SQLAlchemy, gunicorn) and database as the
clinic, with the clinic's SQLite settings (WAL, synchronous=NORMAL, busy timeout).

    DATABASE_URL=... gunicorn --workers 4 bench.baseline_app:app

Issue 6 asks the clinic's intake (validation, CSRF, sessions, deduplication, a lead, an
inquiry, a timeline entry, the outbox) to reach at least 60% of this app's throughput. The
benchmark creates the table (``TABLE_SQL``) before starting it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, redirect, request
from sqlalchemy import create_engine, event, text

app = Flask(__name__)
engine = create_engine(os.environ.get("DATABASE_URL", "sqlite://"))

TABLE_SQL = {
    "sqlite": "CREATE TABLE IF NOT EXISTS baseline_inquiries (id INTEGER PRIMARY KEY, "
    "created_at TIMESTAMP NOT NULL, name VARCHAR(200) NOT NULL, email VARCHAR(320) NOT NULL, "
    "message TEXT NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS baseline_inquiries (id SERIAL PRIMARY KEY, "
    "created_at TIMESTAMPTZ NOT NULL, name VARCHAR(200) NOT NULL, email VARCHAR(320) NOT NULL, "
    "message TEXT NOT NULL)",
}
FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask us</title></head><body>
<form method="post" action="/inquire">
<label>Full name <input name="name" required></label>
<label>Email <input name="email" type="email" required></label>
<label>Your question <textarea name="message"></textarea></label>
<button>Send</button>
</form></body></html>
"""

if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        connection.isolation_level = None
        for pragma in ("busy_timeout = 15000", "journal_mode = WAL", "synchronous = NORMAL"):
            connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@app.get("/inquire")
def form():
    return FORM


@app.post("/inquire")
def store():
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO baseline_inquiries (created_at, name, email, message) "
                "VALUES (:at, :name, :email, :message)"
            ),
            {
                "at": datetime.now(UTC),
                "name": request.form.get("name", ""),
                "email": request.form.get("email", ""),
                "message": request.form.get("message", ""),
            },
        )
    return redirect("/inquire/thanks", code=303)
