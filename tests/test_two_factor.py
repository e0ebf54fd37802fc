"""Two-step sign-in: setting it up, the code after the password, recovery codes, the policy,
an admin's reset, and check-deploy. Codes come from pyotp; the clock is frozen and moved."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.deploy_checks import check_settings
from clinic.extensions import db
from clinic.models import AuditEntry, RecoveryCode, StaffTwoFactor, StaffUser
from clinic.staff import accounts, two_factor
from clinic.staff.secret_sealing import SealBroken, seal, unseal
from clinic.staff.two_factor_views import CODE_REFUSED, SIGN_IN_AGAIN
from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests.conftest import csrf_token_from
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in
from tests.test_deploy_checks import good_config, good_environment, run_check

# Just after the start of a 30-second step, so moving 30 s lands in the next one.
T0 = datetime(2026, 3, 2, 14, 0, 1, tzinfo=UTC)
COORD = "coord@clinic.test"
ADMIN = "boss@clinic.test"
CODE_PAGE = "/staff/sign-in/code"
SETUP_PAGE = "/staff/two-factor/setup"
STAFF_PAGES = ["/staff/", "/staff/account", "/staff/leads", "/staff/users", "/staff/reports"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def staff(email: str = COORD) -> StaffUser:
    return accounts.find_by_email(email)


def enrol(email: str = COORD, at: datetime = T0 - timedelta(hours=1)) -> tuple[str, list[str]]:
    """Switch two-step sign-in on for `email` (an hour before T0 unless told); call in a context.

    Returns the authenticator secret and the recovery codes.
    """
    user = staff(email)
    secret = two_factor.start_enrolment(user)
    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(secret).at(at), at)
    db.session.commit()
    return secret, codes


def send_code(client, code: str):
    token = csrf_token_for(client, CODE_PAGE)
    return client.post(CODE_PAGE, data={"code": code, "csrf_token": token})


def enrolled_coordinator(app) -> tuple[str, list[str]]:
    with app.app_context():
        make_staff()
        return enrol()


# --- setting it up ------------------------------------------------------------------------------


def secret_on(html: str) -> str:
    match = re.search(r'class="two-factor-secret"><code>([A-Z2-7 ]+)</code>', html)
    assert match, "the setup page shows no key"
    return match.group(1).replace(" ", "")


def test_setting_up_needs_a_current_code_and_shows_ten_recovery_codes(app, client, clock):
    with app.app_context():
        make_staff()
    sign_in(client, COORD)
    account = client.get("/staff/account").get_data(as_text=True)
    assert "Set up two-step sign-in</button>" in account
    started = client.post("/staff/two-factor/start", data={"csrf_token": csrf_token_from(account)})
    assert started.headers["Location"] == SETUP_PAGE
    page = client.get(SETUP_PAGE).get_data(as_text=True)
    assert '<svg class="two-factor-qr" viewBox="0 0 ' in page and '<path fill="#000" d="M' in page
    secret = secret_on(page)
    with app.app_context():
        stored = db.session.get(StaffTwoFactor, staff().id)
        assert secret not in stored.sealed_secret
        assert stored.enabled_at is None

    token = csrf_token_from(page)
    wrong = client.post(SETUP_PAGE, data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400
    assert "That code doesn&#39;t match" in wrong.get_data(as_text=True)
    with app.app_context():
        assert not two_factor.is_enabled(staff())

    right = client.post(SETUP_PAGE, data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    html = right.get_data(as_text=True)
    assert right.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", html)
    assert len(set(codes)) == 10
    account = client.get("/staff/account").get_data(as_text=True)
    assert "Recovery codes left: <strong>10</strong>" in account
    with app.app_context():
        assert two_factor.is_enabled(staff())
        assert audit_actions()[-1] == "two_factor_enabled"
        hashes = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
        assert len(hashes) == 10 and not any(code in h for code in codes for h in hashes)


def test_setup_refuses_a_code_from_long_ago_and_keeps_it_off(ctx, clock):
    make_staff()
    user = staff()
    secret = two_factor.start_enrolment(user)
    old_code = pyotp.TOTP(secret).at(T0 - timedelta(minutes=2))
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.confirm_enrolment(user, old_code, T0)
    assert not two_factor.is_enabled(user)


def test_setup_ends_the_persons_other_sessions(app, client, clock):
    with app.app_context():
        make_staff()
    other_device = app.test_client()
    sign_in(other_device, COORD)
    sign_in(client, COORD)
    with app.app_context():
        enrol(at=T0)
    assert other_device.get("/staff/").status_code == 302


# --- signing in with a code ---------------------------------------------------------------------


def test_sign_in_takes_the_password_then_the_code(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    response = sign_in(client, COORD)
    assert response.status_code == 302 and response.headers["Location"] == CODE_PAGE
    page = client.get(CODE_PAGE).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    accepted = send_code(client, pyotp.TOTP(secret).now())
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        assert audit_actions()[-1] == "two_factor_passed"


def test_the_page_asked_for_is_reached_after_the_code(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    token = csrf_token_for(client, "/staff/login")
    client.post(
        "/staff/login?next=/staff/account",
        data={"email": COORD, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert send_code(client, pyotp.TOTP(secret).now()).headers["Location"] == "/staff/account"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_password_alone_opens_no_staff_page(app, client, clock, path):
    enrolled_coordinator(app)
    sign_in(client, COORD)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_a_wrong_code_is_refused(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    sign_in(client, COORD)
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = send_code(client, wrong)
    assert response.status_code == 401
    assert CODE_REFUSED.replace("'", "&#39;") in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        assert audit_actions()[-1] == "two_factor_failed"
    assert send_code(client, right).headers["Location"] == "/staff/"


def test_a_code_works_once(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    code = pyotp.TOTP(secret).now()
    sign_in(client, COORD)
    assert send_code(client, code).status_code == 302
    other_device = app.test_client()
    sign_in(other_device, COORD)
    assert send_code(other_device, code).status_code == 401
    assert other_device.get("/staff/").status_code == 302


def test_codes_of_the_neighbouring_steps_count_and_a_used_step_never_again(ctx, clock):
    make_staff()
    secret, _ = enrol()
    totp = pyotp.TOTP(secret)
    user = staff()

    def accepted(code_time: datetime, now: datetime = T0) -> bool:
        return two_factor.check_sign_in_code(user, totp.at(code_time), now=now).accepted

    step = timedelta(seconds=30)
    assert not accepted(T0 - 2 * step)
    assert not accepted(T0 + 2 * step)
    assert accepted(T0 + step)  # a phone clock running fast
    # That step is spent, and so is every earlier one: the current code no longer works.
    assert not accepted(T0 + step)
    assert not accepted(T0)
    assert accepted(T0 + 2 * step, now=T0 + 2 * step)


def test_the_code_must_follow_the_password_within_five_minutes(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    sign_in(client, COORD)
    token = csrf_token_for(client, CODE_PAGE)
    clock.shift(timedelta(minutes=5))
    response = client.post(CODE_PAGE, data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.headers["Location"] == "/staff/login"
    assert SIGN_IN_AGAIN in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_the_code_page_without_a_password_sends_to_sign_in(client):
    assert client.get(CODE_PAGE).headers["Location"] == "/staff/login"


def test_five_wrong_codes_ask_for_the_password_again(app, client, clock):
    enrolled_coordinator(app)
    sign_in(client, COORD)
    statuses = [send_code(client, "000000").status_code for _ in range(4)]
    assert statuses == [401] * 4
    fifth = send_code(client, "000000")
    assert fifth.headers["Location"] == "/staff/login"
    assert client.get(CODE_PAGE).headers["Location"] == "/staff/login"


def test_wrong_codes_lock_the_code_step_even_across_new_passwords(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    for _ in range(2):
        sign_in(client, COORD)
        for _ in range(4):
            send_code(client, "000000")
    sign_in(client, COORD)
    send_code(client, "000000")
    locking = send_code(client, "000000")
    assert locking.headers["Location"] == "/staff/login"
    assert "refused for a while" in client.get("/staff/login").get_data(as_text=True)
    sign_in(client, COORD)
    assert send_code(client, pyotp.TOTP(secret).now()).headers["Location"] == "/staff/login"
    with app.app_context():
        assert audit_actions().count("two_factor_locked") == 1
    clock.shift(two_factor.WRONG_CODE_LOCK)
    sign_in(client, COORD)
    assert send_code(client, pyotp.TOTP(secret).now()).headers["Location"] == "/staff/"


def test_code_answers_are_rate_limited_per_address_like_sign_ins(app, database_url, clock):
    limited = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX=f"clinic-test-{uuid.uuid4().hex}",
        RATELIMIT_LOGIN="3/minute",
    )
    with limited.app_context():
        make_staff()
        enrol()
    client = limited.test_client()
    sign_in(client, COORD)
    statuses = [send_code(client, "000000").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


# --- recovery codes -----------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_the_count_goes_down(app, client, clock):
    _, codes = enrolled_coordinator(app)
    sign_in(client, COORD)
    response = send_code(client, codes[3].upper().replace("-", " "))
    assert response.headers["Location"] == "/staff/"
    home = client.get("/staff/").get_data(as_text=True)
    assert "You signed in with a recovery code" in home and "You have 9 left" in home
    account = client.get("/staff/account").get_data(as_text=True)
    assert "Recovery codes left: <strong>9</strong>" in account

    again = app.test_client()
    sign_in(again, COORD)
    assert send_code(again, codes[3]).status_code == 401
    with app.app_context():
        assert "recovery_code_used" in audit_actions()
        assert audit_actions()[-1] == "two_factor_failed"


def test_new_recovery_codes_replace_the_old_ones(app, client, clock):
    secret, old_codes = enrolled_coordinator(app)
    sign_in(client, COORD)
    send_code(client, pyotp.TOTP(secret).now())
    token = csrf_token_for(client, "/staff/two-factor/recovery-codes")
    refused = client.post(
        "/staff/two-factor/recovery-codes", data={"proof": "not my password", "csrf_token": token}
    )
    assert refused.status_code == 400
    made = client.post(
        "/staff/two-factor/recovery-codes", data={"proof": DEFAULT_PASSWORD, "csrf_token": token}
    )
    new_codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", made.get_data(as_text=True))
    assert len(new_codes) == 10
    with app.app_context():
        assert audit_actions()[-1] == "recovery_codes_replaced"
        clock.shift(timedelta(minutes=1))
        assert not two_factor.check_sign_in_code(staff(), old_codes[0], now=T0).accepted
        assert two_factor.check_sign_in_code(staff(), new_codes[0], now=T0).accepted
        db.session.commit()


# --- switching it off ---------------------------------------------------------------------------


def signed_in_with_code(app, client, secret: str) -> None:
    sign_in(client, COORD)
    assert send_code(client, pyotp.TOTP(secret).now()).status_code == 302


def turn_off(client, proof: str):
    token = csrf_token_for(client, "/staff/two-factor/turn-off")
    return client.post("/staff/two-factor/turn-off", data={"proof": proof, "csrf_token": token})


def test_switching_off_needs_the_password_or_a_code(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    signed_in_with_code(app, client, secret)
    assert turn_off(client, "123456").status_code == 400
    assert turn_off(client, "not my password").status_code == 400
    with app.app_context():
        assert two_factor.is_enabled(staff())
    clock.shift(timedelta(seconds=30))
    assert turn_off(client, pyotp.TOTP(secret).now()).headers["Location"] == "/staff/account"
    with app.app_context():
        assert not two_factor.is_enabled(staff())
        assert db.session.execute(select(RecoveryCode.id)).first() is None
        assert audit_actions()[-1] == "two_factor_disabled"
    assert sign_in(app.test_client(), COORD).headers["Location"] == "/staff/"


def test_the_password_also_switches_it_off(app, client, clock):
    secret, _ = enrolled_coordinator(app)
    signed_in_with_code(app, client, secret)
    assert turn_off(client, DEFAULT_PASSWORD).status_code == 302
    with app.app_context():
        assert not two_factor.is_enabled(staff())


def test_it_cannot_be_switched_off_when_the_role_requires_it(app, client, clock):
    app.config["STAFF_REQUIRE_2FA"] = "all"
    secret, _ = enrolled_coordinator(app)
    signed_in_with_code(app, client, secret)
    page = client.get("/staff/two-factor/turn-off").get_data(as_text=True)
    assert "can't be switched off" in page and 'name="proof"' not in page
    assert "Required for your role" in client.get("/staff/account").get_data(as_text=True)
    assert turn_off(client, DEFAULT_PASSWORD).status_code == 400
    with app.app_context():
        assert two_factor.is_enabled(staff())


# --- STAFF_REQUIRE_2FA --------------------------------------------------------------------------


def test_admins_policy_makes_an_admin_set_it_up_before_anything_else(app, client, clock):
    app.config["STAFF_REQUIRE_2FA"] = "admins"
    with app.app_context():
        make_staff(ADMIN, role="admin", name="Bo Admin")
    assert sign_in(client, ADMIN).status_code == 302
    for path in STAFF_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == SETUP_PAGE, path
    intro = client.get(SETUP_PAGE).get_data(as_text=True)
    assert "The clinic asks everyone in your role" in intro
    client.post("/staff/two-factor/start", data={"csrf_token": csrf_token_from(intro)})
    page = client.get(SETUP_PAGE).get_data(as_text=True)
    code = pyotp.TOTP(secret_on(page)).now()
    client.post(SETUP_PAGE, data={"code": code, "csrf_token": csrf_token_from(page)})
    assert client.get("/staff/users").status_code == 200


def test_admins_policy_leaves_a_coordinator_alone(app, client):
    app.config["STAFF_REQUIRE_2FA"] = "admins"
    with app.app_context():
        make_staff()
    sign_in(client, COORD)
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize(
    ("setting", "required"),
    [
        ("none", set()),
        ("admins", {"admin"}),
        ("all", {"admin", "coordinator", "editor"}),
        (" Admins ", {"admin"}),
        ("admin", {"admin", "coordinator", "editor"}),  # a typo is read as the strictest
    ],
)
def test_the_policy_setting(setting, required):
    assert two_factor.required_roles(setting) == required


def test_configurations_default_to_admins_in_production_only():
    assert os.environ.get("STAFF_REQUIRE_2FA", "admins") == ProductionConfig.STAFF_REQUIRE_2FA
    assert os.environ.get("STAFF_REQUIRE_2FA", "none") == DevelopmentConfig.STAFF_REQUIRE_2FA
    assert TestingConfig.STAFF_REQUIRE_2FA == "none"


# --- an admin's reset ---------------------------------------------------------------------------


def test_an_admin_reset_is_audited_and_the_person_signs_in_with_the_password(app, client, clock):
    with app.app_context():
        make_staff(ADMIN, role="admin", name="Bo Admin")
        coordinator_id = make_staff().id
        secret, _ = enrol()
    person = app.test_client()
    signed_in_with_code(app, person, secret)
    sign_in(client, ADMIN)
    page = client.get(f"/staff/users/{coordinator_id}").get_data(as_text=True)
    assert "Reset Casey Coordinator's two-step sign-in</button>" in page
    assert "data-confirm=\"Reset Casey Coordinator's two-step sign-in?" in page
    reset_url = f"/staff/users/{coordinator_id}/two-factor/reset"
    assert client.post(reset_url).status_code == 400  # no CSRF token
    response = client.post(reset_url, data={"csrf_token": csrf_token_from(page)})
    assert response.headers["Location"] == f"/staff/users/{coordinator_id}"
    assert person.get("/staff/").status_code == 302  # their sessions ended
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "two_factor_reset")
        ).scalar_one()
        assert entry.actor_email == ADMIN and entry.detail == COORD
        assert not two_factor.is_enabled(staff())
    assert sign_in(app.test_client(), COORD).headers["Location"] == "/staff/"


def test_after_a_reset_a_required_person_must_set_it_up_again(app, client, clock):
    app.config["STAFF_REQUIRE_2FA"] = "all"
    with app.app_context():
        make_staff(ADMIN, role="admin", name="Bo Admin")
        make_staff()
        enrol()
        two_factor.reset(staff(), by=staff(ADMIN))
        db.session.commit()
    sign_in(client, COORD)
    assert client.get("/staff/").headers["Location"] == SETUP_PAGE


def test_an_admin_cannot_reset_their_own(ctx):
    admin = make_staff(ADMIN, role="admin", name="Bo Admin")
    enrol(ADMIN)
    with pytest.raises(two_factor.TwoFactorError, match="your own"):
        two_factor.reset(admin, by=admin)


def test_the_users_page_shows_who_has_it_on(app, client, clock):
    with app.app_context():
        make_staff(ADMIN, role="admin", name="Bo Admin")
        make_staff()
        enrol()
    sign_in(client, ADMIN)
    html = client.get("/staff/users").get_data(as_text=True)
    assert ">Two-step sign-in</th>" in html
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    assert [("Casey" in row, "Two-step sign-in: </span>On</td>" in row) for row in rows] == [
        (False, False),
        (True, True),
    ]


def test_the_command_line_resets_it(app, runner, clock):
    with app.app_context():
        make_staff(ADMIN, role="admin", name="Bo Admin")
        enrol(ADMIN)
    result = runner.invoke(args=["users", "reset-two-factor", ADMIN])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not two_factor.is_enabled(staff(ADMIN))
        assert audit_actions()[-1] == "two_factor_reset"
    again = runner.invoke(args=["users", "reset-two-factor", ADMIN])
    assert again.exit_code == 1 and "no two-step sign-in to reset" in again.output


# --- the secret at rest, and check-deploy --------------------------------------------------------


def test_a_sealed_secret_opens_only_with_its_key_and_unaltered():
    sealed = seal("JBSWY3DPEHPK3PXP", "key one")
    assert "JBSWY3DPEHPK3PXP" not in sealed and sealed != seal("JBSWY3DPEHPK3PXP", "key one")
    assert unseal(sealed, "key one") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SealBroken):
        unseal(sealed, "key two")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealBroken):
        unseal(flipped, "key one")
    with pytest.raises(SealBroken):
        unseal("not sealed at all", "key one")


def test_after_a_secret_key_change_a_recovery_code_still_signs_in(app, client, clock):
    _, codes = enrolled_coordinator(app)
    app.config["SECRET_KEY"] = "another-secret-key-for-this-test-only"
    sign_in(client, COORD)
    assert send_code(client, "123456").status_code == 401
    assert send_code(client, codes[0]).headers["Location"] == "/staff/"


def test_check_deploy_flags_none_in_production():
    assert check_settings(good_config(), debug=False) == []
    [finding] = check_settings({**good_config(), "STAFF_REQUIRE_2FA": "none"}, debug=False)
    assert "STAFF_REQUIRE_2FA=none" in finding.problem
    assert "STAFF_REQUIRE_2FA=admins" in finding.fix
    [unknown] = check_settings({**good_config(), "STAFF_REQUIRE_2FA": "admin"}, debug=False)
    assert "not known" in unknown.problem


def test_the_check_deploy_command_reports_none(tmp_path):
    result = run_check({**good_environment(tmp_path), "STAFF_REQUIRE_2FA": "none"})
    assert result.returncode == 1
    assert "STAFF_REQUIRE_2FA=none: an admin's password alone opens" in result.stdout
