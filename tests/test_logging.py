"""Logs: JSON lines with a request id in production, and never a patient's details."""

from __future__ import annotations

import io
import json
import logging
import threading
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import make_server

from clinic import create_app
from clinic.extensions import db
from clinic.logging_setup import redact
from clinic.models import Inquiry, Lead
from config import TestingConfig
from tests.staff_helpers import make_staff, sign_in

PATIENT = {
    "name": "Zoë Núñez",
    "email": "zoe.nunez@example.com",
    "phone": "(212) 555-0142",
    "message": "Diagnosed in 2019 with severe flares",
}
SECRETS = ["Zoë", "Núñez", "zoe.nunez", "555-0142", "2125550142", "Diagnosed", "flares"]


@pytest.fixture
def all_records():
    """Every record any logger emits at DEBUG and above, before any filter rewrites it."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    root = logging.getLogger()
    handler, old_level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(old_level)


def rendered(records: list[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def test_no_personal_data_in_logs_during_an_inquiry_and_staff_work(
    app, client, submit_inquiry, all_records
):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert submit_inquiry(**PATIENT).status_code == 303
    assert submit_inquiry(**{**PATIENT, "email": "not an email"}).status_code == 422
    assert submit_inquiry(**{**PATIENT, "website": "http://spam.example"}).status_code == 303
    with app.app_context():
        make_staff("casey@clinic.test")
        lead_id = db.session.execute(select(Lead.id)).scalar_one()
    assert sign_in(client, "casey@clinic.test", "a wrong password").status_code == 401
    assert sign_in(client, "casey@clinic.test").status_code == 302
    assert client.get(f"/staff/leads/{lead_id}").status_code == 200
    assert client.get("/staff/leads?q=Zo%C3%AB+N%C3%BA%C3%B1ez").status_code == 200
    assert client.get("/staff/leads?q=zoe.nunez@example.com").status_code == 200

    text = rendered(all_records)
    assert "POST /inquire 303" in text  # the request log is there …
    for secret in SECRETS:
        assert secret not in text, secret  # … and nothing about the patient


def test_sql_errors_never_carry_their_parameters(app, ctx, all_records):
    row = {
        "lead_id": 1,
        "idempotency_key": "same",
        "name": "Zoë Núñez",
        "condition_slug": "lupus",
        "message": "Diagnosed in 2019 with severe flares",
        "consent_version": "v1",
        "consent_page": "/inquire",
        "created_at": db.func.now(),
        "consent_at": db.func.now(),
        "sms_consent": False,
    }
    with pytest.raises(IntegrityError) as raised:
        db.session.execute(insert(Inquiry).values(**row))
        db.session.execute(insert(Inquiry).values(**row))
        db.session.flush()
    db.session.rollback()
    assert "Zoë" not in str(raised.value) and "Diagnosed" not in str(raised.value)
    assert "hidden" in str(raised.value)


def test_production_logs_are_json_lines_with_the_request_id(database_url, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, LOG_FORMAT="json")
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "req-1234abcd"})
    assert response.headers["X-Request-ID"] == "req-1234abcd"
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    [entry] = [line for line in lines if line.get("logger") == "clinic.request"]
    assert entry["request_id"] == "req-1234abcd"
    assert entry["message"] == "GET /healthz 200"
    assert entry["status"] == 200 and entry["path"] == "/healthz"
    assert {"time", "level"} <= entry.keys()


def test_a_request_id_is_made_when_none_or_a_bad_one_is_sent(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert forged.headers["X-Request-ID"] != "bad id; with spaces"


def test_the_filter_blanks_contact_details_and_query_strings():
    line = (
        "sign-in failed for zoe.nunez@example.com from +1 212 555 0142 / (212) 555-0142 "
        '"GET /staff/leads?q=Zo%C3%AB HTTP/1.1" 200'
    )
    assert redact(line) == (
        'sign-in failed for [email] from [phone] / [phone] "GET /staff/leads?[query] HTTP/1.1" 200'
    )
    assert redact("lead 1234 changed at 2026-11-28 17:22:02") == (
        "lead 1234 changed at 2026-11-28 17:22:02"
    )


def test_the_handler_redacts_what_a_careless_line_would_leak(database_url, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    app.logger.warning("could not reach %s", "zoe.nunez@example.com")
    assert "could not reach [email]" in stream.getvalue()
    assert "zoe.nunez" not in stream.getvalue()


def json_log_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_field_of_a_request_line_is_redacted(database_url, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, LOG_FORMAT="json")
    client = app.test_client()
    client.get(
        "/conditions/zoe.nunez@example.com/212-555-0142/+1 212 555 0142",
        query_string={"email": "zoe.nunez@example.com", "phone": "+1 212 555 0142"},
        headers={
            "Referer": "https://search.example/u/zoe.nunez%40example.com?q=Zo%C3%AB+N%C3%BA%C3%B1ez",
            "User-Agent": "Mozilla/5.0 (contact zoe.nunez@example.com or (212) 555-0142)",
        },
    )
    client.get("/healthz", headers={"X-Request-ID": "212-555-0142"})
    output = stream.getvalue()
    for secret in ["zoe.nunez", "555", "Zo%C3%AB", "Zoë", "Núñez"]:
        assert secret not in output, secret
    entries = [line for line in json_log_lines(stream) if line.get("logger") == "clinic.request"]
    assert entries[0]["path"] == "/conditions/[email]/[phone]/[phone]"
    assert entries[0]["referrer"] == "https://search.example/u/[email]?[query]"
    assert entries[0]["user_agent"] == "Mozilla/5.0 (contact [email] or [phone])"
    assert entries[0]["status"] == 404


def test_extra_fields_and_exceptions_in_a_json_line_are_redacted(database_url, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, LOG_FORMAT="json")
    try:
        raise ValueError("no mailbox zoe.nunez@example.com")
    except ValueError:
        app.logger.exception(
            "sending failed",
            extra={"to": "zoe.nunez@example.com", "tried": ["+1 212 555 0142"]},
        )
    [entry] = json_log_lines(stream)
    assert entry["to"] == "[email]" and entry["tried"] == ["[phone]"]
    assert "ValueError: no mailbox [email]" in entry["exc_info"]
    assert "zoe.nunez" not in stream.getvalue()


def test_the_development_server_logs_each_request_once_without_colour_codes(
    database_url, monkeypatch
):
    """`make run` serves with werkzeug, which logs every request itself, in colour."""
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    server = make_server("127.0.0.1", 0, app)
    server.log_startup()
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    try:
        urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=10).read()
        with pytest.raises(HTTPError):
            urlopen(f"http://127.0.0.1:{server.port}/no-such-page", timeout=10)
    finally:
        server.shutdown()
        serving.join()
        server.server_close()
    output = stream.getvalue()
    assert "WARNING: This is a development server." in output
    assert output.count("/healthz") == 1 and "GET /healthz 200" in output
    assert output.count("/no-such-page") == 1 and "GET /no-such-page 404" in output
    assert "\x1b" not in output


def test_a_secret_in_a_path_is_logged_as_the_routes_pattern(client, all_records):
    """A calendar feed's address is its key: the request line names the route, not the token."""
    token = "feed-secret-abcdefghijklmnop"
    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 404
    request_lines = [r for r in all_records if r.name == "clinic.request"]
    assert [r.getMessage() for r in request_lines] == ["GET /calendar/<token>.ics 404"]
    assert token not in rendered(all_records)
    assert request_lines[0].path == "/calendar/<token>.ics"


def test_a_booking_link_in_the_referrer_is_logged_as_the_routes_pattern(client, all_records):
    token = "booking-secret-abcdefghijklmnop"
    client.get("/services", headers={"Referer": f"http://localhost/book/{token}?kind=phone"})

    [line] = [r for r in all_records if r.name == "clinic.request"]
    assert line.referrer == "http://localhost/book/<token>?[query]"
    assert token not in rendered(all_records)
