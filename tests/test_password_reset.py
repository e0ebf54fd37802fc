"""Forgotten passwords: the same answer for everyone, a single-use link for 30 minutes by email,
and a new password that signs the person out everywhere."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEntry, OutboxMessage, PasswordResetToken, StaffUser
from clinic.staff import accounts
from clinic.staff.password_reset_views import LINK_SENT, RESET_DONE
from config import TestingConfig
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in

NEW_PASSWORD = "violet tractor harbour lamp"  # noqa: S105
LINK = re.compile(r"http://127\.0\.0\.1:5000(/staff/reset-password\?token=[\w-]+)")


def ask_for_link(client, email: str):
    token = csrf_token_for(client, "/staff/forgot-password")
    return client.post("/staff/forgot-password", data={"email": email, "csrf_token": token})


def reset_emails() -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == "password_reset")
    return list(db.session.execute(query.order_by(OutboxMessage.id)).scalars())


def link_from_email(app) -> str:
    """The path and query of the newest reset link in the outbox."""
    with app.app_context():
        return LINK.search(reset_emails()[-1].body).group(1)


def choose_password(client, password: str, confirm: str | None = None):
    # The token from another page of the session: a dead link's page has no form to read it from.
    token = csrf_token_for(client, "/staff/forgot-password")
    data = {"password": password, "confirm": confirm or password, "csrf_token": token}
    return client.post("/staff/reset-password", data=data)


def audit_rows(action: str) -> list[tuple]:
    query = select(AuditEntry.actor_email, AuditEntry.actor_id, AuditEntry.detail).where(
        AuditEntry.action == action
    )
    return [tuple(row) for row in db.session.execute(query.order_by(AuditEntry.id))]


# --- asking for a link --------------------------------------------------------------------------


def test_sign_in_page_offers_forgot_password(client):
    html = client.get("/staff/login").get_data(as_text=True)
    assert '<a href="/staff/forgot-password">Forgot your password?</a>' in html
    page = client.get("/staff/forgot-password").get_data(as_text=True)
    assert '<label class="field__label" for="email">Email address' in page
    assert ">Email me a link</button>" in page


def test_same_answer_whether_or_not_the_account_exists(app):
    with app.app_context():
        make_staff()
        gone = make_staff("gone@clinic.test", name="Gone Person")
        accounts.deactivate_user(db.session.get(StaffUser, gone.id), by="test")
        db.session.commit()
    answers = []
    for email in ("coord@clinic.test", "ghost@clinic.test", "gone@clinic.test"):
        client = app.test_client()
        response = ask_for_link(client, email)
        following = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], LINK_SENT in following))
    assert answers == [(302, "/staff/login", True)] * 3
    with app.app_context():
        assert [message.recipient for message in reset_emails()] == ["coord@clinic.test"]
        assert audit_rows("password_reset_sent") == [
            ("coord@clinic.test", None, "asked for on the sign-in page")
        ]
        assert audit_rows("password_reset_refused") == [
            ("ghost@clinic.test", None, "unknown account"),
            ("gone@clinic.test", None, "account deactivated"),
        ]


def test_the_email_holds_a_link_and_no_health_detail(app, client, submit_inquiry):
    assert submit_inquiry().status_code == 303  # a patient's inquiry is in the database too
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    with app.app_context():
        [email] = reset_emails()
        assert email.recipient == "coord@clinic.test" and email.lead_id is None
        assert email.channel == "email" and email.status == "pending"
        text = f"{email.subject}\n{email.body}\n{email.payload}".lower()
        for patient_detail in ("zoë", "núñez", "lupus", "diagnosed", "212", "zoe.nunez"):
            assert patient_detail not in text
        assert LINK.search(email.body)
        assert "works once, within 30 minutes" in email.body


def test_only_a_hash_of_the_token_is_stored(app, client):
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    token = link_from_email(app).split("token=")[1]
    with app.app_context():
        [row] = db.session.execute(select(PasswordResetToken)).scalars()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {row.token_hash, str(row.id)}
        assert row.expires_at - row.created_at == timedelta(minutes=30)


def test_one_account_gets_at_most_three_links_per_half_hour(app, frozen_clock):
    with app.app_context():
        make_staff()
    client = app.test_client()
    for _ in range(4):
        assert ask_for_link(client, "coord@clinic.test").headers["Location"] == "/staff/login"
    with app.app_context():
        assert len(reset_emails()) == 3
        [(_, _, detail)] = audit_rows("password_reset_refused")
        assert detail == "3 links already sent in the last 30 minutes"
    frozen_clock.shift(timedelta(minutes=31))
    ask_for_link(client, "coord@clinic.test")
    with app.app_context():
        assert len(reset_emails()) == 4


def test_the_form_is_rate_limited_per_address(app, database_url):
    limited = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX="test-password-reset",
        RATELIMIT_PASSWORD_RESET="2/minute",
    )
    client = limited.test_client()
    statuses = [ask_for_link(client, f"n{n}@clinic.test").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert client.get("/staff/forgot-password").status_code == 200  # reading it isn't limited
    with limited.app_context():
        db.engine.dispose()


# --- using it -----------------------------------------------------------------------------------


def test_the_link_sets_a_new_password_once_and_ends_every_other_session(app, client):
    with app.app_context():
        make_staff()
    other_device = app.test_client()
    assert sign_in(other_device, "coord@clinic.test").status_code == 302
    ask_for_link(client, "coord@clinic.test")
    link = link_from_email(app)

    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/staff/reset-password"
    form = client.get("/staff/reset-password").get_data(as_text=True)
    assert "coord@clinic.test" in form and "token=" not in form
    response = choose_password(client, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert RESET_DONE in client.get("/staff/login").get_data(as_text=True)

    assert other_device.get("/staff/").status_code == 302  # signed out there
    assert sign_in(app.test_client(), "coord@clinic.test").status_code == 401
    assert sign_in(app.test_client(), "coord@clinic.test", NEW_PASSWORD).status_code == 302
    with app.app_context():
        user = accounts.find_by_email("coord@clinic.test")
        assert audit_rows("password_reset") == [
            ("coord@clinic.test", user.id, "with an emailed link")
        ]

    for browser in (client, app.test_client()):  # used once: now dead everywhere
        browser.get(link)
        dead = browser.get("/staff/reset-password")
        assert dead.status_code == 400
        assert "This link no longer works" in dead.get_data(as_text=True)
    assert choose_password(app.test_client(), "another fine passphrase").status_code == 400
    with app.app_context():
        assert accounts.password_matches(accounts.find_by_email("coord@clinic.test"), NEW_PASSWORD)


def test_the_link_expires_after_thirty_minutes(app, client, frozen_clock):
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    client.get(link_from_email(app))
    frozen_clock.shift(timedelta(minutes=29, seconds=59))
    assert client.get("/staff/reset-password").status_code == 200
    frozen_clock.shift(timedelta(seconds=1))
    assert client.get("/staff/reset-password").status_code == 400
    assert choose_password(app.test_client(), NEW_PASSWORD).status_code == 400
    client.get(link_from_email(app))
    assert choose_password(client, NEW_PASSWORD).status_code == 400
    with app.app_context():
        user = accounts.find_by_email("coord@clinic.test")
        assert accounts.password_matches(user, DEFAULT_PASSWORD)
        assert audit_rows("password_reset") == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaaaa", "can&#39;t be one character repeated"),
        ("password1234", "list of common passwords"),
        (" " * 12, "can&#39;t be only spaces"),
        ("my name is coord, hi", "must not contain “coord” from the email address"),
    ],
)
def test_the_password_rule_applies_and_the_link_survives_a_refusal(app, client, password, message):
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    client.get(link_from_email(app))
    refused = choose_password(client, password)
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert choose_password(client, NEW_PASSWORD).status_code == 302


def test_a_reset_lifts_sign_in_lock_outs(app, client):
    with app.app_context():
        make_staff()
    for _ in range(10):
        refused = sign_in(app.test_client(), "coord@clinic.test", "wrong password!!")
    assert refused.status_code == 429
    ask_for_link(client, "coord@clinic.test")
    client.get(link_from_email(app))
    choose_password(client, NEW_PASSWORD)
    assert sign_in(app.test_client(), "coord@clinic.test", NEW_PASSWORD).status_code == 302


def test_any_new_password_ends_outstanding_links(app, client, runner):
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    link = link_from_email(app)
    result = runner.invoke(
        args=["users", "set-password", "coord@clinic.test"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    client.get(link)
    assert client.get("/staff/reset-password").status_code == 400


def test_a_deactivated_account_cannot_use_its_link(app, client):
    with app.app_context():
        make_staff()
    ask_for_link(client, "coord@clinic.test")
    client.get(link_from_email(app))
    with app.app_context():
        accounts.deactivate_user(accounts.find_by_email("coord@clinic.test"), by="test")
        db.session.commit()
    assert choose_password(client, NEW_PASSWORD).status_code == 400


def test_a_link_without_a_token_or_with_a_made_up_one_is_refused(client):
    assert client.get("/staff/reset-password").status_code == 400
    client.get("/staff/reset-password?token=made-up")
    assert client.get("/staff/reset-password").status_code == 400


def test_the_link_is_built_from_the_public_url_not_the_request(app):
    app.config["CLINIC_PUBLIC_URL"] = "https://clinic.example.org"
    with app.app_context():
        make_staff()
    ask_for_link(app.test_client(), "coord@clinic.test")
    with app.app_context():
        [email] = reset_emails()
        link = re.search(r"https://\S+", email.body).group(0)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "clinic.example.org",
        "/staff/reset-password",
    )
