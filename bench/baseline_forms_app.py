"""The second yardstick for intake: the inquiry form as a plain Flask app builds it from the
clinic's own libraries — a Flask-WTF form (CSRF token in the signed session, WTForms validators,
email-validator for the address) rendered by a Jinja template, one row stored through
Flask-SQLAlchemy per valid post — and nothing else (no deduplication, lead, timeline, outbox,
assignment or notification).

    DATABASE_URL=... gunicorn --workers 4 bench.baseline_forms_app:app

bench/baseline_app.py is the bare floor (no CSRF, session or validation); this one shows what
those libraries cost by themselves, so intake's share of it says what the clinic's own work
costs. It stores into the bare baseline's table (``baseline_app.TABLE_SQL``), which the
benchmark creates before starting it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, redirect
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional

from bench.baseline_app import CHOICES


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
app = Flask(__name__)
app.config.update(
    SECRET_KEY="bench-baseline-forms",  # noqa: S105  (a benchmark app, not deployed)
    SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite://"),
)
db.init_app(app)


class BaselineInquiry(db.Model):
    __tablename__ = "baseline_inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    name: Mapped[str]
    email: Mapped[str]
    message: Mapped[str]


class InquiryForm(FlaskForm):
    """The clinic's inquiry fields, with the validation a careful Flask app would give them."""

    name = StringField("Full name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Email address", validators=[InputRequired(), Email(), Length(max=320)])
    phone = TelField("Phone number (optional)", validators=[Optional(), Length(max=40)])
    condition = SelectField("Condition", choices=CHOICES["conditions"],
                            validators=[InputRequired()])  # fmt: skip
    message = TextAreaField("Your question (optional)", validators=[Length(max=5000)])
    preferred_contact = RadioField("How should we contact you?", choices=CHOICES["contacts"],
                                   default="phone")  # fmt: skip
    best_time = SelectField("Best time", choices=CHOICES["times"], default="any")
    payment = RadioField("How do you expect to pay?", choices=CHOICES["payments"],
                         default="not_sure")  # fmt: skip
    consent = BooleanField("I agree to be contacted about my inquiry.",
                           validators=[InputRequired()])  # fmt: skip


PAGE = app.jinja_env.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask us</title></head><body>
<h1>Ask about treatment</h1>
<form method="post" action="/inquire">{{ form.csrf_token }}
{% for field in form if field.name != "csrf_token" %}
<p>{{ field.label }} {{ field() }}
{% for error in field.errors %}<em>{{ error }}</em>{% endfor %}</p>
{% endfor %}
<button>Send</button>
</form></body></html>
""")

with app.app_context():
    if db.engine.dialect.name == "sqlite":  # the clinic's SQLite settings, as baseline_app.py

        @event.listens_for(db.engine, "connect")
        def _pragmas(connection, _record):
            connection.isolation_level = None
            for pragma in ("busy_timeout = 15000", "journal_mode = WAL", "synchronous = NORMAL"):
                connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(db.engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@app.route("/inquire", methods=["GET", "POST"])
def inquire():
    form = InquiryForm()
    if form.validate_on_submit():
        db.session.add(
            BaselineInquiry(
                created_at=datetime.now(UTC),
                name=form.name.data,
                email=form.email.data,
                message=form.message.data or "",
            )
        )
        db.session.commit()
        return redirect("/inquire/thanks", code=303)
    return PAGE.render(form=form)
