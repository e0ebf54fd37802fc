"""The yardstick for intake throughput: a bare Flask app that renders the same form (a Jinja
template) and stores one row per post, and nothing else — no validation, CSRF, session,
deduplication or notification — on the same stack (Flask, SQLAlchemy, gunicorn) and database
as the clinic, with the clinic's SQLite settings (WAL, synchronous=NORMAL, busy timeout).

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
# The same visible form as the clinic's, rendered by Jinja as any Flask app would render it.
FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask us</title></head><body>
<h1>Ask about treatment</h1>
<form method="post" action="/inquire">
<p><label>Full name <input name="name" required maxlength="200"></label></p>
<p><label>Email address <input name="email" type="email" required></label></p>
<p><label>Phone number (optional) <input name="phone" type="tel"></label></p>
<p><label>Condition <select name="condition" required>
{% for slug, label in conditions %}<option value="{{ slug }}">{{ label }}</option>{% endfor %}
</select></label></p>
<p><label>Your question (optional) <textarea name="message"></textarea></label></p>
<fieldset><legend>How should we contact you?</legend>
{% for value, label in contacts %}<label><input type="radio" name="preferred_contact"
 value="{{ value }}"> {{ label }}</label>{% endfor %}</fieldset>
<p><label>Best time <select name="best_time">
{% for value, label in times %}<option value="{{ value }}">{{ label }}</option>{% endfor %}
</select></label></p>
<fieldset><legend>How do you expect to pay?</legend>
{% for value, label in payments %}<label><input type="radio" name="payment"
 value="{{ value }}"> {{ label }}</label>{% endfor %}</fieldset>
<p><label><input type="checkbox" name="consent" value="y" required> I agree to be
contacted about my inquiry.</label></p>
<button>Send</button>
</form></body></html>
"""
CHOICES = {
    "conditions": [("lupus", "Lupus"), ("multiple-sclerosis", "Multiple sclerosis"),
                   ("rheumatoid-arthritis", "Rheumatoid arthritis"),
                   ("knee-osteoarthritis", "Knee osteoarthritis"), ("copd", "COPD"),
                   ("parkinsons-disease", "Parkinson's disease"), ("other", "Other")],
    "contacts": [("phone", "Phone call"), ("email", "Email"), ("sms", "Text message")],
    "times": [("any", "Any time"), ("morning", "Morning"), ("afternoon", "Afternoon"),
              ("evening", "Early evening")],
    "payments": [("not_sure", "Not sure yet"), ("self_pay", "Self-pay"),
                 ("insurance", "Insurance")],
}  # fmt: skip

if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        connection.isolation_level = None
        for pragma in ("busy_timeout = 15000", "journal_mode = WAL", "synchronous = NORMAL"):
            connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


TEMPLATE = app.jinja_env.from_string(FORM)  # compiled once, as render_template's cache does


@app.get("/inquire")
def form():
    return TEMPLATE.render(**CHOICES)


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
