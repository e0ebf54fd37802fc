"""Failed sign-ins: one address is locked out, many addresses slow the account, nobody is locked
out for good, and nothing tells which staff emails exist."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEntry, SignInFailure, StaffUser
from clinic.staff import accounts, sign_in_throttle
from clinic.staff.auth_views import SIGN_IN_FAILED
from clinic.staff.sign_in_throttle import LOCKED, SLOWED, SignInPolicy
from config import TestingConfig
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
POLICY = SignInPolicy(threshold=10, lockout=timedelta(minutes=15), max_delay=timedelta(minutes=5))
# The same rules with fewer attempts, where the number doesn't matter: each checked password
# costs a deliberately slow hash.
SMALL = SignInPolicy(threshold=3, lockout=timedelta(minutes=15), max_delay=timedelta(minutes=1))
WRONG = "wrong password!!"  # noqa: S105
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


def attempt(
    password: str,
    now: datetime,
    address: str = ATTACKER,
    *,
    email: str = "coord@clinic.test",
    policy: SignInPolicy = POLICY,
) -> accounts.SignInOutcome:
    return accounts.authenticate(email, password, address=address, now=now, policy=policy)


def failure_times() -> list[datetime]:
    query = select(SignInFailure.created_at).order_by(SignInFailure.created_at)
    return list(db.session.execute(query).scalars())


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def sign_in_from(client, address: str, email: str, password: str = DEFAULT_PASSWORD, **headers):
    """Post the sign-in form as a browser at `address` would."""
    token = csrf_token_for(client, "/staff/login")
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


# --- one address --------------------------------------------------------------------------------


def test_ten_failures_from_one_address_lock_it_out_while_the_owner_signs_in_elsewhere(ctx):
    make_staff()
    for second in range(9):
        outcome = attempt(WRONG, T0 + timedelta(seconds=second))
        assert outcome.user is None and outcome.refused is None
    tenth = attempt(WRONG, T0 + timedelta(seconds=9))
    assert tenth.refused == sign_in_throttle.Refusal(T0 + timedelta(minutes=15), LOCKED)

    right_from_there = attempt(DEFAULT_PASSWORD, T0 + timedelta(seconds=10))
    assert right_from_there.user is None and right_from_there.refused.reason == LOCKED
    owner = attempt(DEFAULT_PASSWORD, T0 + timedelta(seconds=10), address=OWNER)
    assert owner.user is not None and owner.user.email == "coord@clinic.test"
    assert audit_actions().count("account_locked") == 1


def test_the_lock_lifts_when_the_failures_age_out(ctx):
    make_staff()
    for second in range(3):
        attempt(WRONG, T0 + timedelta(seconds=second), policy=SMALL)
    until = T0 + timedelta(minutes=15)
    early = attempt(DEFAULT_PASSWORD, until - timedelta(seconds=1), policy=SMALL)
    assert early.user is None and early.refused.until == until
    assert attempt(DEFAULT_PASSWORD, until, policy=SMALL).user is not None


def test_one_address_never_gets_more_than_the_threshold_per_lockout(ctx):
    make_staff()
    for minute in range(40):  # a guess a minute, for forty minutes
        attempt(WRONG, T0 + timedelta(minutes=minute), policy=SMALL)
    checked = failure_times()  # the others were turned away without checking the password
    assert [int((t - T0).total_seconds() // 60) for t in checked] == [
        0,
        1,
        2,
        15,
        16,
        17,
        30,
        31,
        32,
    ]
    for last in checked:
        assert len([t for t in checked if last - SMALL.lockout < t <= last]) <= SMALL.threshold


def test_a_right_password_forgives_that_address_its_own_slips(ctx):
    make_staff()
    for second in range(2):
        attempt(WRONG, T0 + timedelta(seconds=second), address=OWNER, policy=SMALL)
    owner = attempt(DEFAULT_PASSWORD, T0 + timedelta(seconds=5), address=OWNER, policy=SMALL)
    assert owner.user is not None
    for second in range(2):
        outcome = attempt(WRONG, T0 + timedelta(seconds=10 + second), address=OWNER, policy=SMALL)
        assert outcome.refused is None
    assert attempt(WRONG, T0 + timedelta(seconds=20), address=OWNER, policy=SMALL).refused


def test_a_right_password_leaves_other_addresses_failures_counting(ctx):
    make_staff()
    for second in range(2):
        attempt(WRONG, T0 + timedelta(seconds=second), policy=SMALL)
    owner = attempt(DEFAULT_PASSWORD, T0 + timedelta(seconds=5), address=OWNER, policy=SMALL)
    assert owner.user is not None
    third = attempt(WRONG, T0 + timedelta(seconds=10), policy=SMALL)
    assert third.refused.reason == LOCKED


# --- many addresses -----------------------------------------------------------------------------


def test_many_addresses_slow_the_account_with_a_growing_capped_wait_but_never_lock_it(ctx):
    make_staff()
    key = sign_in_throttle.email_key("coord@clinic.test")
    now = T0
    waits = []
    for n in range(12):  # a guess from a fresh address each time, as soon as it is answered
        outcome = attempt(WRONG, now, address=f"192.0.2.{n + 1}", policy=SMALL)
        assert outcome.user is None and outcome.refused is None, n
        not_before = sign_in_throttle.email_not_before(key, now, SMALL)
        if not_before is None:
            now += timedelta(seconds=1)
            continue
        waits.append((not_before - now).total_seconds())
        early = attempt(DEFAULT_PASSWORD, not_before - timedelta(seconds=1), OWNER, policy=SMALL)
        assert early.user is None and early.refused == sign_in_throttle.Refusal(not_before, SLOWED)
        now = not_before
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]  # doubling, capped at the minute
    assert attempt(DEFAULT_PASSWORD, now, address=OWNER, policy=SMALL).user is not None
    assert "account_locked" not in audit_actions()


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (9, 0), (10, 1), (11, 2), (18, 256), (19, 300), (10_000, 300)],
)
def test_the_wait_doubles_from_the_threshold_up_to_the_cap(failures, wait):
    assert sign_in_throttle.delay_after(failures, POLICY) == timedelta(seconds=wait)


def test_one_address_alone_never_slows_the_account_down(ctx):
    make_staff()
    for minute in range(0, 60, 15):  # one address, as many guesses as it is allowed, for an hour
        for second in range(3):
            attempt(WRONG, T0 + timedelta(minutes=minute, seconds=second), policy=SMALL)
    assert len(failure_times()) == 12
    last = T0 + timedelta(minutes=45, seconds=2)
    key = sign_in_throttle.email_key("coord@clinic.test")
    assert sign_in_throttle.email_not_before(key, last, SMALL) is None
    assert attempt(DEFAULT_PASSWORD, last, address=OWNER, policy=SMALL).user is not None


# --- nothing tells who has an account -----------------------------------------------------------


def without_tokens(html: str, email: str) -> str:
    """The page as a person reads it, without what differs by session or what was typed."""
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)
    return html.replace(email, "EMAIL")


def test_unknown_deactivated_and_existing_accounts_get_the_same_answers(app, frozen_clock):
    with app.app_context():
        make_staff()
        gone = make_staff("gone@clinic.test", name="Gone Person")
        accounts.deactivate_user(db.session.get(StaffUser, gone.id), by="test")
        db.session.commit()
    answers = {}
    for email in ("coord@clinic.test", "gone@clinic.test", "ghost@clinic.test"):
        client = app.test_client()
        seen = []
        for password in [WRONG] * 10 + [DEFAULT_PASSWORD] * 2:
            response = sign_in_from(client, ATTACKER, email, password)
            seen.append(
                (
                    response.status_code,
                    response.headers.get("Retry-After"),
                    without_tokens(response.get_data(as_text=True), email),
                )
            )
        answers[email] = seen
    known, deactivated, unknown = answers.values()
    assert known == deactivated == unknown
    assert [status for status, _, _ in known] == [401] * 9 + [429] * 3
    assert SIGN_IN_FAILED.replace("'", "&#39;") in known[0][2]
    assert "Too many failed sign-ins for this email address from this network" in known[-1][2]
    assert known[-1][1] == str(15 * 60)


def test_owner_signs_in_from_another_network_at_once(app):
    with app.app_context():
        make_staff()
    attacker = app.test_client()
    statuses = [
        sign_in_from(attacker, ATTACKER, "coord@clinic.test", WRONG).status_code for _ in range(10)
    ]
    assert statuses == [401] * 9 + [429]
    assert sign_in_from(attacker, ATTACKER, "coord@clinic.test").status_code == 429
    owner = app.test_client()
    assert sign_in_from(owner, OWNER, "coord@clinic.test").status_code == 302
    assert owner.get("/staff/").status_code == 200


def test_a_slowed_account_says_how_long_to_wait(app, frozen_clock):
    with app.app_context():
        make_staff()
    client = app.test_client()
    for n in range(10):  # ten addresses, one failure each: the eleventh attempt waits a second
        sign_in_from(client, f"192.0.2.{n + 1}", "coord@clinic.test", WRONG)
    for n in range(10, 12):  # each of these waits twice as long as the one before
        frozen_clock.shift(timedelta(seconds=2 ** (n - 10)))
        assert (
            sign_in_from(client, f"192.0.2.{n + 1}", "coord@clinic.test", WRONG).status_code == 401
        )
    owner = app.test_client()
    response = sign_in_from(owner, OWNER, "coord@clinic.test")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "4"
    assert "each new attempt has to wait a little. Try again in 4 seconds." in html
    frozen_clock.shift(timedelta(seconds=4))
    assert sign_in_from(owner, OWNER, "coord@clinic.test").status_code == 302


def test_the_address_comes_from_the_trusted_proxy_and_never_from_the_client(app, database_url):
    with app.app_context():
        make_staff()
    # No proxy trusted: a client naming a new address each time is still one address.
    client = app.test_client()
    for n in range(10):
        response = sign_in_from(
            client, ATTACKER, "coord@clinic.test", WRONG, **{"X-Forwarded-For": f"10.0.0.{n}"}
        )
    assert response.status_code == 429
    # Behind one trusted proxy, the address it saw is the one counted.
    proxied = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1)
    browser = proxied.test_client()
    for _ in range(10):
        response = sign_in_from(
            browser, "127.0.0.1", "other@clinic.test", WRONG, **{"X-Forwarded-For": ATTACKER}
        )
    assert response.status_code == 429
    with proxied.app_context():
        make_staff("other@clinic.test", name="Olu Other")
    owner = sign_in_from(
        proxied.test_client(), "127.0.0.1", "other@clinic.test", **{"X-Forwarded-For": OWNER}
    )
    assert owner.status_code == 302
    with proxied.app_context():
        addresses = set(db.session.execute(select(SignInFailure.address)).scalars())
        assert addresses == {ATTACKER}
        db.engine.dispose()


def test_the_policy_reads_the_configuration(app):
    app.config.update(
        STAFF_LOCKOUT_THRESHOLD=3, STAFF_LOCKOUT_MINUTES=60, STAFF_SLOWDOWN_MAX_SECONDS=90
    )
    assert SignInPolicy.from_config(app.config) == SignInPolicy(
        3, timedelta(minutes=60), timedelta(seconds=90)
    )


# --- what people see ----------------------------------------------------------------------------


def test_each_person_sees_their_recent_failed_sign_ins(app, client, frozen_clock):
    with app.app_context():
        make_staff()
        make_staff("other@clinic.test", name="Olu Other")
    for _ in range(3):
        sign_in_from(app.test_client(), ATTACKER, "coord@clinic.test", WRONG)
    sign_in_from(app.test_client(), "192.0.2.9", "other@clinic.test", WRONG)
    sign_in(client, "coord@clinic.test")
    html = client.get("/staff/account").get_data(as_text=True)
    assert '<h2 id="failures-title">Failed sign-ins</h2>' in html
    row = re.search(rf"<tr>\s*<th scope=\"row\"><code>{ATTACKER}</code></th>(.*?)</tr>", html, re.S)
    assert row, html
    assert "<td>3</td>" in row.group(1)
    assert "09 Dec 2026, 10:00" in row.group(1)  # the clinic's time
    assert "192.0.2.9" not in html  # someone else's


def test_the_account_page_says_when_there_were_none(app, client):
    with app.app_context():
        make_staff()
    sign_in(client, "coord@clinic.test")
    assert "No failed sign-ins in the last 30 days." in client.get("/staff/account").get_data(
        as_text=True
    )


def test_old_failures_are_deleted_as_new_ones_come(ctx):
    make_staff()
    attempt(WRONG, T0, policy=SMALL)
    attempt(WRONG, T0 + timedelta(days=31), address=OWNER, policy=SMALL)
    addresses = db.session.execute(select(SignInFailure.address)).scalars().all()
    assert addresses == [OWNER]
