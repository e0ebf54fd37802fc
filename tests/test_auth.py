"""Signing in and out: same answer for unknown and wrong, session lifetime, safe next=.

Throttling failed sign-ins is in test_sign_in_throttle.py, the password rule in test_passwords.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEntry, StaffUser
from clinic.staff import accounts
from clinic.staff.auth_views import SIGN_IN_FAILED, safe_next
from clinic.staff.sessions import EXPIRED_MESSAGE, LAST_SEEN_AT, SIGNED_IN_AT, session_expired
from tests.conftest import csrf_token_from
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def staff(email: str = "coord@clinic.test") -> StaffUser:
    return accounts.find_by_email(email)


def copy_session(app, client):
    """A second browser holding a copy of the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def change_password(client, current: str, new: str, confirm: str | None = None):
    token = csrf_token_for(client, "/staff/account")
    data = {"current_password": current, "password": new, "confirm": confirm or new}
    return client.post("/staff/account", data={"csrf_token": token, **data})


# --- signing in ---------------------------------------------------------------------------------


def test_right_password_signs_in_and_records_it(app, client):
    with app.app_context():
        make_staff()
    response = sign_in(client, "Coord@Clinic.test ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Casey Coordinator" in page.get_data(as_text=True)
    with app.app_context():
        assert audit_actions() == ["user_created", "sign_in"]
        user = staff()
        assert user.last_login_at is not None
        [entry] = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "sign_in")
        ).scalars()
        assert entry.actor_id == user.id and entry.actor_email == "coord@clinic.test"


def test_login_page_has_labelled_fields_and_a_sign_in_button(client):
    html = client.get("/staff/login").get_data(as_text=True)
    assert '<label class="field__label" for="email">Email address' in html
    assert '<label class="field__label" for="password">Password' in html
    assert ">Sign in</button>" in html
    assert html.count("<h1") == 1


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client):
    with app.app_context():
        make_staff()
    wrong = sign_in(client, "coord@clinic.test", "not the right password")
    unknown = sign_in(app.test_client(), "nobody@clinic.test", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    wrong_html, unknown_html = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert SIGN_IN_FAILED.replace("'", "&#39;") in wrong_html
    assert SIGN_IN_FAILED.replace("'", "&#39;") in unknown_html
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEntry.action, AuditEntry.actor_email, AuditEntry.actor_id, AuditEntry.detail
            )
            .where(AuditEntry.action == "sign_in_failed")
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(row) for row in rows] == [
            ("sign_in_failed", "coord@clinic.test", None, "wrong password"),
            ("sign_in_failed", "nobody@clinic.test", None, "unknown account"),
        ]


def test_deactivated_account_cannot_sign_in_with_the_right_password(app, client):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
        user = make_staff()
        accounts.deactivate_user(db.session.get(StaffUser, user.id), by="test")
        db.session.commit()
    response = sign_in(client, "coord@clinic.test")
    assert response.status_code == 401
    assert SIGN_IN_FAILED.replace("'", "&#39;") in response.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(app, client):
    with app.app_context():
        make_staff()
    response = client.post(
        "/staff/login", data={"email": "coord@clinic.test", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        assert audit_actions() == ["user_created"]


# --- sessions end when they should -------------------------------------------------------------


def test_sign_out_ends_the_session_and_a_copied_cookie(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    thief = copy_session(app, client)
    assert thief.get("/staff/").status_code == 200
    token = csrf_token_for(client, "/staff/")
    response = client.post("/staff/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    assert thief.get("/staff/").status_code == 302
    with app.app_context():
        assert audit_actions()[-1] == "sign_out"


def test_sign_out_needs_csrf(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        assert "sign_out" not in audit_actions()


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    thief = copy_session(app, client)
    other_device = app.test_client()
    sign_in(other_device, "coord@clinic.test")
    response = change_password(client, DEFAULT_PASSWORD, "correct horse battery staple")
    assert response.status_code == 302
    assert "Your password has been changed" in client.get("/staff/account").get_data(as_text=True)
    assert thief.get("/staff/").status_code == 302
    assert other_device.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "coord@clinic.test").status_code == 401
    assert (
        sign_in(app.test_client(), "coord@clinic.test", "correct horse battery staple").status_code
        == 302
    )
    with app.app_context():
        assert "password_changed" in audit_actions()


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (
            "not my password!",
            "correct horse battery",
            "correct horse battery",
            "current password is not correct",
        ),
        (DEFAULT_PASSWORD, "short", "short", "at least 12 characters"),
        (DEFAULT_PASSWORD, "a" * 12, "a" * 12, "can&#39;t be one character repeated"),
        (DEFAULT_PASSWORD, "password1234", "password1234", "list of common passwords"),
        (DEFAULT_PASSWORD, " " * 12, " " * 12, "can&#39;t be only spaces"),
        (
            DEFAULT_PASSWORD,
            "Coord is my name, ok",
            "Coord is my name, ok",
            "must not contain “coord” from the email address",
        ),
        (
            DEFAULT_PASSWORD,
            "coord@clinic.test",
            "coord@clinic.test",
            "must not contain “coord” from the email address",
        ),
        (DEFAULT_PASSWORD, "correct horse battery", "correct horse batterY", "don&#39;t match"),
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, DEFAULT_PASSWORD, "must be different"),
    ],
)
def test_password_change_refused_with_a_specific_reason(
    app, client, current, new, confirm, message
):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    token = csrf_token_for(client, "/staff/account")
    response = client.post(
        "/staff/account",
        data={
            "csrf_token": token,
            "current_password": current,
            "password": new,
            "confirm": confirm,
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        assert accounts.password_matches(staff(), DEFAULT_PASSWORD)
        assert "password_changed" not in audit_actions()


def test_password_change_needs_csrf(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    response = client.post(
        "/staff/account",
        data={"current_password": DEFAULT_PASSWORD, "password": "x" * 20, "confirm": "x" * 20},
    )
    assert response.status_code == 400
    with app.app_context():
        assert accounts.password_matches(staff(), DEFAULT_PASSWORD)


def test_deactivation_ends_a_signed_in_session(app, client):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
        make_staff()
    sign_in(client, "coord@clinic.test")
    thief = copy_session(app, client)
    with app.app_context():
        accounts.deactivate_user(staff(), by="test")
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert thief.get("/staff/").status_code == 302


def test_account_page_needs_a_signed_in_user(client):
    response = client.get("/staff/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


# --- idle and absolute expiry -------------------------------------------------------------------


def test_expiry_rules():
    idle, max_age = timedelta(minutes=30), timedelta(hours=8)
    check = lambda signed, seen, now: session_expired(  # noqa: E731
        signed, seen, now, idle=idle, max_age=max_age
    )
    assert not check(T0, T0, T0 + timedelta(minutes=29, seconds=59))
    assert check(T0, T0, T0 + timedelta(minutes=30))
    assert not check(T0, T0 + timedelta(hours=7, minutes=50), T0 + timedelta(hours=7, minutes=59))
    assert check(T0, T0 + timedelta(hours=7, minutes=59), T0 + timedelta(hours=8))
    assert check(None, T0, T0) and check(T0, None, T0)


def signed_in_long_ago(app, client, key: str, seconds: int) -> None:
    """Sign a coordinator in, then move one of the session's times `seconds` into the past."""
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    with client.session_transaction() as session:
        session[key] -= seconds


def test_idle_session_expires_with_a_message_and_comes_back_to_the_page(app, client):
    signed_in_long_ago(app, client, LAST_SEEN_AT, 31 * 60)
    response = client.get("/staff/account?tab=password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/account?tab%3Dpassword"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert EXPIRED_MESSAGE in login_page
    assert client.get("/staff/").status_code == 302
    token = csrf_token_from(login_page)
    back = client.post(
        response.headers["Location"],
        data={"email": "coord@clinic.test", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert back.headers["Location"] == "/staff/account?tab=password"


def test_activity_keeps_a_session_alive(app, client):
    signed_in_long_ago(app, client, LAST_SEEN_AT, 29 * 60)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert datetime.now(UTC).timestamp() - session[LAST_SEEN_AT] < 60


def test_session_ends_eight_hours_after_sign_in_whatever_the_activity(app, client):
    signed_in_long_ago(app, client, SIGNED_IN_AT, 8 * 3600 + 1)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    assert EXPIRED_MESSAGE in client.get("/staff/login").get_data(as_text=True)


def test_idle_limit_is_configurable(app, client):
    app.config["STAFF_IDLE_MINUTES"] = 5
    signed_in_long_ago(app, client, LAST_SEEN_AT, 6 * 60)
    assert client.get("/staff/").status_code == 302


def test_session_without_sign_in_time_is_not_trusted(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    with client.session_transaction() as session:
        del session[SIGNED_IN_AT]
    assert client.get("/staff/").status_code == 302


# --- next= stays on this site -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/staff/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "  //evil.example",
        "/\t/evil.example",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(app, client, target):
    with app.app_context():
        make_staff()
    token = csrf_token_for(client, "/staff/login")
    response = client.post(
        "/staff/login",
        query_string={"next": target},
        data={"email": "coord@clinic.test", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert safe_next(target) is None


def test_next_to_a_staff_page_is_followed(app, client):
    with app.app_context():
        make_staff()
    token = csrf_token_for(client, "/staff/login")
    response = client.post(
        "/staff/login?next=/staff/account",
        data={"email": "coord@clinic.test", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/staff/account"
