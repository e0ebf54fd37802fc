"""Staff administration: the admin-only pages, their rules, and the `users` commands."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEntry, OutboxMessage, StaffUser
from clinic.staff import accounts
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in

NEW_PASSWORD = "plenty of characters here"  # noqa: S105


def user(email: str) -> StaffUser | None:
    return accounts.find_by_email(email)


def audit_rows(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


@pytest.fixture
def admin(app, client):
    """An admin signed in on `client`, plus a coordinator to act on."""
    with app.app_context():
        boss = make_staff("boss@clinic.test", role="admin", name="Bo Admin")
        coordinator = make_staff()
    assert sign_in(client, "boss@clinic.test").status_code == 302
    return {"admin": boss, "coordinator": coordinator}


def admin_routes(coordinator_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("GET", "/staff/users", {}),
        ("GET", "/staff/users/new", {}),
        ("GET", f"/staff/users/{coordinator_id}", {}),
        ("GET", "/staff/audit", {}),
        (
            "POST",
            "/staff/users/new",
            {
                "email": "new@clinic.test",
                "name": "New Person",
                "role": "admin",
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        ),
        ("POST", f"/staff/users/{coordinator_id}/role", {"role": "admin"}),
        ("POST", f"/staff/users/{coordinator_id}/deactivate", {}),
        ("POST", f"/staff/users/{coordinator_id}/reactivate", {}),
        ("POST", f"/staff/users/{coordinator_id}/unlock", {}),
        ("POST", f"/staff/users/{coordinator_id}/send-reset-link", {}),
    ]


def assert_nothing_changed(app, coordinator_id: int) -> None:
    with app.app_context():
        coordinator = db.session.get(StaffUser, coordinator_id)
        assert coordinator.role == "coordinator" and coordinator.active
        assert user("new@clinic.test") is None
        assert audit_rows("user_created")[-1].detail == "coord@clinic.test as coordinator"
        for action in (
            "role_changed",
            "user_deactivated",
            "user_reactivated",
            "sign_in_unlocked",
            "password_reset_sent",
        ):
            assert audit_rows(action) == []


# --- who may reach the admin pages --------------------------------------------------------------


def test_coordinator_gets_403_on_every_admin_route(app, client):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
        coordinator = make_staff()
    sign_in(client, "coord@clinic.test")
    token = csrf_token_for(client, "/staff/account")
    for method, path, data in admin_routes(coordinator.id):
        response = client.open(path, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
        assert "You don&#39;t have access to this page" in response.get_data(as_text=True)
    assert_nothing_changed(app, coordinator.id)
    nav = client.get("/staff/").get_data(as_text=True)
    assert "/staff/users" not in nav and "/staff/audit" not in nav


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    with app.app_context():
        coordinator = make_staff()
    for method, path, data in admin_routes(coordinator.id):
        response = client.open(path, method=method, data=data)
        if method == "GET":
            assert response.status_code == 302, path
            assert unquote(response.headers["Location"]) == f"/staff/login?next={path}"
        else:  # no session, so no CSRF token either: refused before anything else
            assert response.status_code in (302, 400), path
    assert_nothing_changed(app, coordinator.id)


def test_every_admin_post_needs_csrf(app, client, admin):
    for method, path, data in admin_routes(admin["coordinator"].id):
        if method == "POST":
            assert client.post(path, data=data).status_code == 400, path
    assert_nothing_changed(app, admin["coordinator"].id)


def test_admin_sees_the_admin_navigation(client, admin):
    nav = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/users"' in nav and 'href="/staff/audit"' in nav


# --- the list and creating accounts -------------------------------------------------------------


def test_list_shows_everyone_with_role_status_and_last_sign_in(app, client, admin):
    html = client.get("/staff/users").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<th scope="col">Last sign-in</th>' in html
    assert "Bo Admin" in html and "boss@clinic.test" in html
    assert "Casey Coordinator" in html and "coord@clinic.test" in html
    assert "Never" in html  # the coordinator has not signed in
    with app.app_context():
        signed_in = user("boss@clinic.test").last_login_at
    from clinic.templating import local_time

    with app.app_context():
        assert local_time(signed_in) in html


def post_new_user(client, **overrides):
    data = {
        "email": "nurse@clinic.test",
        "name": "Nia Nurse",
        "role": "coordinator",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    data["csrf_token"] = csrf_token_for(client, "/staff/users/new")
    return client.post("/staff/users/new", data=data)


def test_admin_creates_an_account_that_can_sign_in(app, client, admin):
    response = post_new_user(client, email=" Nia@Clinic.test ")
    with app.app_context():
        created = user("nia@clinic.test")
        assert created.name == "Nia Nurse" and created.role == "coordinator" and created.active
        assert response.headers["Location"] == f"/staff/users/{created.id}"
        [entry] = audit_rows("user_created")[-1:]
        assert entry.detail == "nia@clinic.test as coordinator"
        assert entry.actor_email == "boss@clinic.test"
    assert sign_in(app.test_client(), "nia@clinic.test", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "coord@clinic.test"}, "An account for coord@clinic.test already exists."),
        ({"email": "not an email"}, "Enter an email address like"),
        ({"email": ""}, "Enter an email address."),
        ({"name": "  "}, "Enter the person"),
        ({"password": "too short", "confirm": "too short"}, "at least 12 characters"),
        (
            {"email": "nia.nurse@clinic.test", "password": "NIA.NURSE@clinic.test"},
            "must not contain “nia.nurse” from the email address",
        ),
        ({"password": "password1234"}, "list of common passwords"),
        ({"password": "aaaaaaaaaaaa"}, "can&#39;t be one character repeated"),
        ({"password": " " * 12}, "can&#39;t be only spaces"),
        ({"confirm": "something else entirely"}, "The two passwords don&#39;t match."),
        ({"role": "superuser"}, "Not a valid choice"),
    ],
)
def test_create_refuses_bad_input_with_a_specific_message(app, client, admin, overrides, message):
    if "confirm" not in overrides and "password" in overrides:
        overrides["confirm"] = overrides["password"]
    response = post_new_user(client, **overrides)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error-summary"' in html
    assert 'value="Nia Nurse"' in html or overrides.get("name")  # what was typed is kept
    with app.app_context():
        assert db.session.execute(
            select(StaffUser.email).order_by(StaffUser.id)
        ).scalars().all() == [
            "boss@clinic.test",
            "coord@clinic.test",
        ]


def test_names_are_shown_escaped(app, client, admin):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post_new_user(client, name=payload, email="xss@clinic.test")
    with app.app_context():
        created = user("xss@clinic.test")
        assert created.name == payload
    for path in ("/staff/users", f"/staff/users/{created.id}"):
        html = client.get(path).get_data(as_text=True)
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
            in html
        )
        assert "<script>alert" not in html and "<img src=x" not in html
    other = app.test_client()
    sign_in(other, "xss@clinic.test", NEW_PASSWORD)
    header = other.get("/staff/account").get_data(as_text=True)
    assert "&lt;script&gt;" in header and "<script>alert" not in header


# --- deactivate, reactivate, change role ---------------------------------------------------------


def post_button(client, path: str, **data):
    token = csrf_token_for(client, "/staff/users/new")
    return client.post(path, data={"csrf_token": token, **data})


def test_deactivate_ends_their_sessions_and_reactivate_lets_them_back(app, client, admin):
    coordinator_id = admin["coordinator"].id
    their_browser = app.test_client()
    sign_in(their_browser, "coord@clinic.test")
    assert their_browser.get("/staff/").status_code == 200

    response = post_button(client, f"/staff/users/{coordinator_id}/deactivate")
    assert response.headers["Location"] == f"/staff/users/{coordinator_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Casey Coordinator can no longer sign in" in page
    assert their_browser.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "coord@clinic.test").status_code == 401
    with app.app_context():
        assert not db.session.get(StaffUser, coordinator_id).active
        [entry] = audit_rows("user_deactivated")
        assert entry.detail == "coord@clinic.test" and entry.actor_email == "boss@clinic.test"

    post_button(client, f"/staff/users/{coordinator_id}/reactivate")
    assert sign_in(app.test_client(), "coord@clinic.test").status_code == 302
    with app.app_context():
        assert db.session.get(StaffUser, coordinator_id).active
        [entry] = audit_rows("user_reactivated")
        assert entry.actor_email == "boss@clinic.test"


def test_change_role_takes_effect_at_once_and_is_audited(app, client, admin):
    coordinator_id = admin["coordinator"].id
    their_browser = app.test_client()
    sign_in(their_browser, "coord@clinic.test")
    assert their_browser.get("/staff/users").status_code == 403

    post_button(client, f"/staff/users/{coordinator_id}/role", role="admin")
    assert their_browser.get("/staff/users").status_code == 200
    post_button(client, f"/staff/users/{coordinator_id}/role", role="coordinator")
    assert their_browser.get("/staff/users").status_code == 403
    with app.app_context():
        details = [entry.detail for entry in audit_rows("role_changed")]
        assert details == [
            "coord@clinic.test: coordinator → admin",
            "coord@clinic.test: admin → coordinator",
        ]


def test_unknown_role_is_refused(app, client, admin):
    response = post_button(client, f"/staff/users/{admin['coordinator'].id}/role", role="root")
    assert "Choose a role from the list." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert_nothing_changed(app, admin["coordinator"].id)


def test_the_last_active_admin_cannot_deactivate_or_demote_themselves(app, client, admin):
    admin_id = admin["admin"].id
    response = post_button(client, f"/staff/users/{admin_id}/deactivate")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "boss@clinic.test is the last active admin" in page
    post_button(client, f"/staff/users/{admin_id}/role", role="coordinator")
    with app.app_context():
        boss = db.session.get(StaffUser, admin_id)
        assert boss.active and boss.role == "admin"
        assert audit_rows("user_deactivated") == [] and audit_rows("role_changed") == []
    assert client.get("/staff/users").status_code == 200


def test_an_admin_may_step_down_when_another_admin_remains(app, client, admin):
    with app.app_context():
        make_staff("second@clinic.test", role="admin", name="Sam Second")
    response = post_button(client, f"/staff/users/{admin['admin'].id}/role", role="coordinator")
    assert response.headers["Location"] == "/staff/"
    assert "Bo Admin is now a coordinator." in client.get("/staff/").get_data(as_text=True)
    assert client.get("/staff/users").status_code == 403
    with app.app_context():
        assert user("boss@clinic.test").role == "coordinator"


def test_last_admin_rule_counts_only_active_admins(ctx):
    boss = make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    former = make_staff("former@clinic.test", role="admin", name="Fo Former")
    accounts.deactivate_user(former, by="test")
    with pytest.raises(accounts.AccountError, match="last active admin"):
        accounts.change_role(boss, "coordinator", by="test")
    accounts.reactivate_user(former, by="test")
    accounts.change_role(boss, "coordinator", by="test")
    assert boss.role == "coordinator"


def test_deactivating_yourself_signs_you_out(app, client, admin):
    with app.app_context():
        make_staff("second@clinic.test", role="admin", name="Sam Second")
    response = post_button(client, f"/staff/users/{admin['admin'].id}/deactivate")
    assert response.headers["Location"] == "/staff/login"
    assert "Bo Admin can no longer sign in" in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_unknown_account_is_404(client, admin):
    assert client.get("/staff/users/99999").status_code == 404
    assert post_button(client, "/staff/users/99999/deactivate").status_code == 404


# --- sign-in: unlock and reset links ------------------------------------------------------------


def lock_out(app, email: str, address: str) -> None:
    """Ten wrong passwords for `email` from `address`: that address is locked out of it."""
    browser = app.test_client()
    for _ in range(10):
        token = csrf_token_for(browser, "/staff/login")
        response = browser.post(
            "/staff/login",
            data={"email": email, "password": "wrong password!!", "csrf_token": token},
            environ_base={"REMOTE_ADDR": address},
        )
    assert response.status_code == 429


def test_admin_sees_failed_sign_ins_and_unlocks_the_account(app, client, admin):
    coordinator_id = admin["coordinator"].id
    lock_out(app, "coord@clinic.test", "203.0.113.66")
    page = client.get(f"/staff/users/{coordinator_id}").get_data(as_text=True)
    assert (
        '<code>203.0.113.66</code> <span class="badge badge--warning">Locked out for now</span>'
        in page
    )

    response = post_button(client, f"/staff/users/{coordinator_id}/unlock")
    assert response.headers["Location"] == f"/staff/users/{coordinator_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign-in unlocked for Casey Coordinator" in page
    assert "<code>203.0.113.66</code></th>" in page  # still listed, no longer locked out
    assert "Locked out for now" not in page and ">Unlock sign-in for" not in page
    their_browser = app.test_client()
    token = csrf_token_for(their_browser, "/staff/login")
    back_in = their_browser.post(
        "/staff/login",
        data={"email": "coord@clinic.test", "password": DEFAULT_PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.66"},
    )
    assert back_in.status_code == 302
    with app.app_context():
        [entry] = audit_rows("sign_in_unlocked")
        assert entry.actor_email == "boss@clinic.test"
        assert entry.detail == "coord@clinic.test: 10 failed sign-ins cleared"


def test_unlock_with_nothing_to_clear_says_so(app, client, admin):
    response = post_button(client, f"/staff/users/{admin['coordinator'].id}/unlock")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "coord@clinic.test has no failed sign-ins to clear." in page
    with app.app_context():
        assert audit_rows("sign_in_unlocked") == []


def test_admin_sends_a_password_reset_link(app, client, admin):
    coordinator_id = admin["coordinator"].id
    response = post_button(client, f"/staff/users/{coordinator_id}/send-reset-link")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A password-reset link is on its way to Casey Coordinator" in page
    with app.app_context():
        [email] = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "password_reset")
        ).scalars()
        assert email.recipient == "coord@clinic.test"
        assert "An admin of " in email.body and "/staff/reset-password?token=" in email.body
        [entry] = audit_rows("password_reset_sent")
        assert entry.actor_email == "boss@clinic.test" and entry.detail == "coord@clinic.test"


def test_no_reset_link_for_a_deactivated_account(app, client, admin):
    coordinator_id = admin["coordinator"].id
    post_button(client, f"/staff/users/{coordinator_id}/deactivate")
    page = client.get(f"/staff/users/{coordinator_id}").get_data(as_text=True)
    assert "Send a password-reset link" not in page
    response = post_button(client, f"/staff/users/{coordinator_id}/send-reset-link")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "reactivate the account before sending a reset link" in page
    with app.app_context():
        assert audit_rows("password_reset_sent") == []


# --- the `users` commands -----------------------------------------------------------------------


def test_cli_create_reads_one_line_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Ada@Clinic.test", "--role", "admin", "--name", "Ada Admin"],
        input=NEW_PASSWORD + "\nignored second line\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ada@clinic.test (Ada Admin)." in result.output
    assert NEW_PASSWORD not in result.output
    with app.app_context():
        created = user("ada@clinic.test")
        assert created.role == "admin" and accounts.password_matches(created, NEW_PASSWORD)
        [entry] = audit_rows("user_created")
        assert entry.actor_email.startswith("command line")


def test_cli_create_at_a_terminal_asks_twice_without_echo(app, runner, monkeypatch):
    monkeypatch.setattr("clinic.staff.cli._stdin_is_terminal", lambda: True)
    typed = f"{NEW_PASSWORD}\nsomething else entirely\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    result = runner.invoke(
        args=["users", "create", "ada@clinic.test", "--role", "admin", "--name", "Ada"],
        input=typed,
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert result.output.count("Repeat for confirmation") == 2
    assert NEW_PASSWORD not in result.output
    with app.app_context():
        assert accounts.password_matches(user("ada@clinic.test"), NEW_PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ([], "short\n", "at least 12 characters"),
        ([], "ada@clinic.test\n", "must not contain “ada” from the email address"),
        ([], "password1234\n", "list of common passwords"),
        ([], "aaaaaaaaaaaa\n", "can't be one character repeated"),
        ([], "", "No password on standard input"),
        ([], "\n", "No password on standard input"),
        (["--name", "  "], NEW_PASSWORD + "\n", "Enter the person"),
    ],
)
def test_cli_create_refuses_bad_input(app, runner, args, stdin, message):
    base = ["users", "create", "ada@clinic.test", "--role", "coordinator", "--name", "Ada"]
    result = runner.invoke(args=base + args, input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert user("ada@clinic.test") is None


def test_cli_create_refuses_a_duplicate_bad_email_and_bad_role(app, runner):
    with app.app_context():
        make_staff()
    duplicate = runner.invoke(
        args=["users", "create", "COORD@clinic.test", "--role", "admin", "--name", "Dup"],
        input=NEW_PASSWORD + "\n",
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad_email = runner.invoke(
        args=["users", "create", "nobody", "--role", "admin", "--name", "X"],
        input=NEW_PASSWORD + "\n",
    )
    assert bad_email.exit_code == 1 and "Enter an email address like" in bad_email.output
    bad_role = runner.invoke(
        args=["users", "create", "x@clinic.test", "--role", "owner", "--name", "X"],
        input=NEW_PASSWORD + "\n",
    )
    assert bad_role.exit_code == 2 and "'owner' is not one of 'admin', 'coordinator'" in (
        bad_role.output
    )
    with app.app_context():
        assert len(accounts.list_users()) == 1


def test_cli_deactivate_ends_sessions(app, client, runner):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    result = runner.invoke(args=["users", "deactivate", "coord@clinic.test"])
    assert result.exit_code == 0
    assert "Deactivated coord@clinic.test" in result.output
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        assert not user("coord@clinic.test").active
        assert audit_rows("user_deactivated")[0].actor_email.startswith("command line")
    again = runner.invoke(args=["users", "deactivate", "coord@clinic.test"])
    assert again.exit_code == 1 and "already deactivated" in again.output
    missing = runner.invoke(args=["users", "deactivate", "ghost@clinic.test"])
    assert missing.exit_code == 1 and "There is no staff account for ghost@clinic.test" in (
        missing.output
    )


def test_cli_set_password_ends_sessions_and_checks_the_rules(app, client, runner):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    short = runner.invoke(args=["users", "set-password", "coord@clinic.test"], input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert client.get("/staff/").status_code == 200

    result = runner.invoke(
        args=["users", "set-password", "coord@clinic.test"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0 and "Password changed for coord@clinic.test" in result.output
    assert client.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "coord@clinic.test").status_code == 401
    assert sign_in(app.test_client(), "coord@clinic.test", NEW_PASSWORD).status_code == 302
    with app.app_context():
        assert len(audit_rows("password_set")) == 1


def test_cli_list(app, runner):
    assert "No staff accounts yet" in runner.invoke(args=["users", "list"]).output
    with app.app_context():
        make_staff()
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    lines = runner.invoke(args=["users", "list"]).output.strip().splitlines()
    assert lines == [
        "boss@clinic.test\tadmin\tactive\tBo Admin\tnever signed in",
        "coord@clinic.test\tcoordinator\tactive\tCasey Coordinator\tnever signed in",
    ]


def test_demo_admin_is_created_once_in_development_and_can_sign_in(app, runner):
    app.config.update(CLINIC_ENV="development", DEMO_ADMIN=True)
    first = runner.invoke(args=["users", "ensure-demo-admin"])
    assert first.exit_code == 0
    assert "email:     admin@clinic.local" in first.output
    password = re.search(r"password:  (\S+)", first.output).group(1)
    assert len(password) >= 12
    second = runner.invoke(args=["users", "ensure-demo-admin"])
    assert second.exit_code == 0
    assert "already exist" in second.output and password not in second.output
    with app.app_context():
        [demo] = accounts.list_users()
        assert demo.email == "admin@clinic.local" and demo.role == "admin"
    client = app.test_client()
    assert sign_in(client, "admin@clinic.local", password).status_code == 302
    assert client.get("/staff/users").status_code == 200


def test_demo_admin_is_not_created_when_staff_exist(app, runner):
    app.config.update(CLINIC_ENV="development", DEMO_ADMIN=True)
    with app.app_context():
        make_staff()
    result = runner.invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == 0 and "password" not in result.output
    with app.app_context():
        assert user("admin@clinic.local") is None


@pytest.mark.parametrize(
    ("env", "demo", "exit_code"),
    [("production", True, 1), ("testing", True, 0), ("development", False, 0)],
)
def test_demo_admin_never_outside_development(app, runner, env, demo, exit_code):
    app.config.update(CLINIC_ENV=env, DEMO_ADMIN=demo)
    result = runner.invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == exit_code
    assert "password" not in result.output
    with app.app_context():
        assert accounts.list_users() == []
