"""Staff accounts: creating and changing them, checking sign-ins, locking out guessers.

Plain functions on plain values. Callers (views, the CLI) wrap them in `write_transaction()`, which
commits the change together with the audit row each function adds.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from clinic import audit
from clinic.extensions import db
from clinic.models import StaffUser
from clinic.models.staff import ROLES, new_session_token

MIN_PASSWORD_LENGTH = 12
EMAIL_MAX = 320
NAME_MAX = 200
DEMO_ADMIN_EMAIL = "admin@clinic.local"
DEMO_ADMIN_NAME = "Demo Admin"

# A sign-in name, not a mailbox we deliver to: clinics use internal domains such as .local,
# which email-validator refuses, so only the shape is checked.
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")

# Who did it: a signed-in staff user, or a label such as "command line (root)".
Actor = StaffUser | str | None


class AccountError(ValueError):
    """A request about an account that can't be honoured; the message says why.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LockoutPolicy:
    """How many consecutive failures within `window` lock an account, and for how long."""

    threshold: int = 10
    window: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping) -> LockoutPolicy:
        return cls(
            threshold=int(config["STAFF_LOCKOUT_THRESHOLD"]),
            window=timedelta(minutes=int(config["STAFF_LOCKOUT_WINDOW_MINUTES"])),
            cooldown=timedelta(minutes=int(config["STAFF_LOCKOUT_MINUTES"])),
        )


@dataclass(frozen=True)
class SignInOutcome:
    """`user` is set only on success; `locked_until` only when the account is locked."""

    user: StaffUser | None = None
    locked_until: datetime | None = None


def _record(action: str, by: Actor, detail: str = "", actor_email: str | None = None) -> None:
    if isinstance(by, str):
        audit.record(action, detail=detail, actor_email=by)
    else:
        audit.record(action, detail=detail, actor=by, actor_email=actor_email)


def normalise_email(email: str) -> str:
    """The sign-in email as stored: trimmed and lower-cased.

    :raise AccountError: when it doesn't look like an email address.
    """
    email = (email or "").strip().lower()
    if not email:
        raise AccountError("Enter an email address.", field="email")
    if len(email) > EMAIL_MAX or not _EMAIL_SHAPE.fullmatch(email):
        raise AccountError("Enter an email address like name@clinic.example.", field="email")
    return email


def find_by_email(email: str, *, for_update: bool = False) -> StaffUser | None:
    query = select(StaffUser).where(func.lower(StaffUser.email) == (email or "").strip().lower())
    if for_update:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def list_users() -> list[StaffUser]:
    """Everyone, active accounts first, then by name."""
    query = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)
    return list(db.session.execute(query).scalars())


def check_new_password(email: str, password: str) -> None:
    """:raise AccountError: when the password is too short or is the email address."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            field="password",
        )
    if password.strip().lower() == email.strip().lower():
        raise AccountError("The password must not be the email address.", field="password")


def create_user(email: str, name: str, role: str, password: str, *, by: Actor = None) -> StaffUser:
    """A new active account.

    :raise AccountError: for a bad email, name, role or password, or an email already in use.
    """
    email = normalise_email(email)
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter the person's full name.", field="name")
    if len(name) > NAME_MAX:
        raise AccountError(f"The name must be at most {NAME_MAX} characters.", field="name")
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    if find_by_email(email):
        raise AccountError(f"An account for {email} already exists.", field="email")
    check_new_password(email, password)
    user = StaffUser(
        email=email, name=name, role=role, password_hash=generate_password_hash(password)
    )
    db.session.add(user)
    db.session.flush()
    _record("user_created", by, f"{email} as {role}")
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


@cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def _spend_hash_time(password: str) -> None:
    """Hash even when there is no account, so response time doesn't reveal which emails exist."""
    check_password_hash(_decoy_hash(), password)


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def note_failed_sign_in(user: StaffUser, now: datetime, policy: LockoutPolicy) -> bool:
    """Count one failure; returns True when this failure locks the account.

    The count restarts when the first failure of the run is older than the policy's window, and
    after a lock (so the account gets a fresh set of attempts once the cool-down is over).
    """
    started = user.first_failed_login_at
    if started is None or now - started >= policy.window:
        user.failed_logins = 0
        user.first_failed_login_at = now
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins < policy.threshold:
        return False
    user.locked_until = now + policy.cooldown
    user.failed_logins = 0
    user.first_failed_login_at = None
    return True


def note_successful_sign_in(user: StaffUser, now: datetime) -> None:
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    user.last_login_at = now


def authenticate(
    email: str, password: str, *, now: datetime, policy: LockoutPolicy
) -> SignInOutcome:
    """Check a sign-in attempt, keep the lock-out count and audit the result.

    Unknown, deactivated and wrong-password attempts all come back as the same plain failure;
    only a locked account is reported differently, so the person knows to wait.
    """
    typed_email = (email or "").strip().lower()[:EMAIL_MAX]
    user = find_by_email(typed_email, for_update=True)
    if user is None:
        _spend_hash_time(password)
        _record("sign_in_failed", None, "unknown account", actor_email=typed_email)
        return SignInOutcome()
    if is_locked(user, now):
        _spend_hash_time(password)
        _record("sign_in_failed", None, "account locked", actor_email=user.email)
        return SignInOutcome(locked_until=user.locked_until)
    if not password_matches(user, password):
        _record("sign_in_failed", None, "wrong password", actor_email=user.email)
        if note_failed_sign_in(user, now, policy):
            until = f"{user.locked_until:%Y-%m-%d %H:%M} UTC"
            detail = f"after {policy.threshold} failed sign-ins; locked until {until}"
            _record("account_locked", None, detail, actor_email=user.email)
            return SignInOutcome(locked_until=user.locked_until)
        return SignInOutcome()
    if not user.active:
        _record("sign_in_failed", None, "account deactivated", actor_email=user.email)
        return SignInOutcome()
    note_successful_sign_in(user, now)
    _record("sign_in", user)
    return SignInOutcome(user=user)


def end_sessions(user: StaffUser) -> None:
    """Rotate the session token: every cookie issued before now stops working."""
    user.session_token = new_session_token()


def sign_out(user: StaffUser) -> None:
    end_sessions(user)
    _record("sign_out", user)


def set_password(user: StaffUser, password: str, *, by: Actor = None) -> None:
    """An operator resets the password: every session ends and any lock-out is lifted.

    :raise AccountError: when the password breaks the rules.
    """
    check_new_password(user.email, password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    _record("password_set", by, user.email)


def change_own_password(user: StaffUser, current: str, new: str) -> None:
    """A signed-in person changes their password; all their sessions end (the caller re-signs in
    the one they are using).

    :raise AccountError: when the current password is wrong or the new one breaks the rules.
    """
    if not password_matches(user, current):
        raise AccountError("Your current password is not correct.", field="current_password")
    check_new_password(user.email, new)
    if new == current:
        raise AccountError(
            "The new password must be different from the current one.", field="password"
        )
    user.password_hash = generate_password_hash(new)
    end_sessions(user)
    _record("password_changed", user)


def _other_active_admins(user: StaffUser) -> int:
    """Active admins besides `user`; the rows are locked so two admins can't demote each other."""
    query = (
        select(StaffUser.id)
        .where(StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.id != user.id)
        .with_for_update()
    )
    return len(db.session.execute(query).all())


def _refuse_if_last_admin(user: StaffUser, doing: str) -> None:
    if user.role == "admin" and user.active and _other_active_admins(user) == 0:
        raise AccountError(
            f"{user.email} is the last active admin, so you can't {doing} them. "
            "Make someone else an admin first."
        )


def deactivate_user(user: StaffUser, *, by: Actor = None) -> None:
    """The person can no longer sign in, and every session they have ends now.

    :raise AccountError: when the account is already inactive or is the last active admin.
    """
    if not user.active:
        raise AccountError(f"{user.email} is already deactivated.")
    _refuse_if_last_admin(user, "deactivate")
    user.active = False
    end_sessions(user)
    _record("user_deactivated", by, user.email)


def reactivate_user(user: StaffUser, *, by: Actor = None) -> None:
    """:raise AccountError: when the account is already active."""
    if user.active:
        raise AccountError(f"{user.email} is already active.")
    user.active = True
    _record("user_reactivated", by, user.email)


def change_role(user: StaffUser, role: str, *, by: Actor = None) -> None:
    """:raise AccountError: for an unknown or unchanged role, or demoting the last active admin."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    if role == user.role:
        raise AccountError(f"{user.email} is already {'an' if role == 'admin' else 'a'} {role}.")
    if role != "admin":
        _refuse_if_last_admin(user, "remove the admin role from")
    previous, user.role = user.role, role
    _record("role_changed", by, f"{user.email}: {previous} → {role}")


def create_demo_admin() -> tuple[StaffUser, str] | None:
    """On a database with no staff at all, an admin with a random password; else None.

    Only for development: the caller checks the configuration.
    """
    if db.session.execute(select(StaffUser.id).limit(1)).first() is not None:
        return None
    password = secrets.token_urlsafe(15)
    user = create_user(
        DEMO_ADMIN_EMAIL, DEMO_ADMIN_NAME, "admin", password, by="demo admin (development)"
    )
    return user, password
