"""Staff accounts: creating and changing them, checking sign-ins.

Plain functions on plain values. Callers (views, the CLI) wrap them in `write_transaction()`, which
commits the change together with the audit row each function adds; `authenticate` alone commits
by itself (it says why). Guessing is slowed in sign_in_throttle.py; the password rule is
passwords.py.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads.normalise import clean_line, has_letter
from clinic.models import PasswordResetToken, StaffUser, utcnow
from clinic.models.staff import ROLES, new_session_token
from clinic.staff import passwords, sign_in_throttle
from clinic.staff.sign_in_throttle import Refusal, SignInPolicy

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
class SignInOutcome:
    """`user` is set only on success; `refused` when the attempt must wait (its password may not
    even have been checked). Neither: the plain "don't match" failure."""

    user: StaffUser | None = None
    refused: Refusal | None = None


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
    """:raise AccountError: when the password breaks the rule in passwords.py; the message says
    which part."""
    problem = passwords.problem_with(password, email)
    if problem is not None:
        raise AccountError(problem, field="password")


def create_user(email: str, name: str, role: str, password: str, *, by: Actor = None) -> StaffUser:
    """A new active account.

    :raise AccountError: for a bad email, name, role or password, or an email already in use.
    """
    email = normalise_email(email)
    name = " ".join(clean_line(name).split())
    if not name:
        raise AccountError("Enter the person's full name.", field="name")
    if not has_letter(name):
        raise AccountError("Enter the person's name using letters.", field="name")
    if len(name) > NAME_MAX:
        raise AccountError(f"The name must be at most {NAME_MAX} characters.", field="name")
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    if find_by_email(email):
        raise AccountError(f"An account for {email} already exists.", field="email")
    check_new_password(email, password)
    user = StaffUser(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        # Admins could always export; a coordinator is given it by an admin, person by person.
        can_export=role == "admin",
    )
    db.session.add(user)
    db.session.flush()
    _record("user_created", by, f"{email} as {role}")
    return user


def hash_password(password: str) -> str:
    """The stored form of a new password, by the configured PASSWORD_HASH_METHOD."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_matches(user: StaffUser, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def _decoy_hash() -> str:
    """What an unknown email's password is checked against: made like every real hash (same
    method and cost), so the check takes as long as for a staff account."""
    return _decoy_hash_by(current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _decoy_hash_by(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


REFUSED_DETAILS = {
    sign_in_throttle.LOCKED: "refused: too many failures from this address",
    sign_in_throttle.SLOWED: "refused: too soon after failures from several addresses",
}


def authenticate(
    email: str, password: str, *, address: str, now: datetime, policy: SignInPolicy
) -> SignInOutcome:
    """Check a sign-in attempt from a client address, count it and audit the result.

    Commits by itself, twice, on purpose: the attempt is counted as a failure and committed
    before the password is checked, so attempts racing in parallel see each other and no
    transaction stays open during the slow hash; a right password then takes it back. Unknown,
    deactivated and wrong-password attempts are counted alike and all come back as the same
    plain failure, and an unknown email is checked against a decoy hash, so neither the answer
    nor its timing tells which staff emails exist.
    """
    typed_email = (email or "").strip().lower()[:EMAIL_MAX]
    key = sign_in_throttle.email_key(typed_email)
    with write_transaction():
        refusal = sign_in_throttle.refusal(key, address, now, policy)
        if refusal is not None:
            _record(
                "sign_in_failed", None, REFUSED_DETAILS[refusal.reason], actor_email=typed_email
            )
            return SignInOutcome(refused=refusal)
        failure_id = sign_in_throttle.charge(key, address, now)
    user = find_by_email(typed_email)
    stored_hash = user.password_hash if user is not None else _decoy_hash()
    db.session.commit()  # end the read: nothing waits on this connection during the hash
    matches = check_password_hash(stored_hash, password) and user is not None
    with write_transaction():
        if matches and user.active:
            sign_in_throttle.take_back(failure_id, key, address, now)
            user.last_login_at = now
            _record("sign_in", user)
            return SignInOutcome(user=user)
        if user is None:
            _record("sign_in_failed", None, "unknown account", actor_email=typed_email)
        else:
            reason = "wrong password" if not matches else "account deactivated"
            _record("sign_in_failed", None, reason, actor_email=user.email)
        locked_until = sign_in_throttle.address_locked_until(key, address, now, policy)
        if locked_until is None:
            return SignInOutcome()
        detail = (
            f"{address} after {policy.threshold} failed sign-ins; "
            f"locked out until {locked_until:%Y-%m-%d %H:%M} UTC"
        )
        _record("account_locked", None, detail, actor_email=typed_email)
        return SignInOutcome(refused=Refusal(locked_until, sign_in_throttle.LOCKED))


def unlock_sign_in(user: StaffUser, *, by: Actor = None, now: datetime | None = None) -> int:
    """An admin lets every address try again at once: the account's failures stop counting.

    :raise AccountError: when nothing is counting against the account.
    """
    key = sign_in_throttle.email_key(user.email)
    if not sign_in_throttle.has_counting_failures(key):
        raise AccountError(f"{user.email} has no failed sign-ins to clear.")
    cleared = sign_in_throttle.clear(key, now or utcnow())
    _record("sign_in_unlocked", by, f"{user.email}: {cleared} failed sign-ins cleared")
    return cleared


def end_sessions(user: StaffUser) -> None:
    """Rotate the session token: every cookie issued before now stops working."""
    user.session_token = new_session_token()


def sign_out(user: StaffUser) -> None:
    end_sessions(user)
    _record("sign_out", user)


def store_new_password(user: StaffUser, password: str, now: datetime | None = None) -> None:
    """Replace the password once it has passed the rule: every session of the person ends,
    unused reset links die, and failed sign-ins (guesses at the old one) stop counting."""
    user.password_hash = hash_password(password)
    end_sessions(user)
    db.session.execute(
        delete(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    sign_in_throttle.clear(sign_in_throttle.email_key(user.email), now or utcnow())


def set_password(user: StaffUser, password: str, *, by: Actor = None) -> None:
    """An operator resets the password: every session ends and any lock-out is lifted.

    :raise AccountError: when the password breaks the rules.
    """
    check_new_password(user.email, password)
    store_new_password(user, password)
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
    store_new_password(user, new)
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


DEGREE_MAX = 60
SPECIALTY_MAX = 120


def set_clinical_reviewer(
    user: StaffUser,
    reviewer: bool,
    degree: str | None,
    specialty: str | None,
    *,
    by: Actor = None,
) -> None:
    """Mark someone as a clinical reviewer (or not), with the credentials their bylines show.

    A reviewer's approval is what lets a medical page go public, under their name: the degree
    is required, so the byline never reads as if anyone at all had approved it.

    :raise AccountError: for a reviewer without a degree, text too long, or no change at all.
    """
    degree = clean_line(degree or "") or None
    specialty = clean_line(specialty or "") or None
    if reviewer and not degree:
        raise AccountError(
            "Enter the degree a reviewer's byline shows, for example MD.", field="degree"
        )
    if degree and len(degree) > DEGREE_MAX:
        raise AccountError(f"Keep the degree under {DEGREE_MAX} characters.", field="degree")
    if specialty and len(specialty) > SPECIALTY_MAX:
        raise AccountError(
            f"Keep the specialty under {SPECIALTY_MAX} characters.", field="specialty"
        )
    before = (user.is_clinical_reviewer, user.degree, user.specialty)
    if before == (reviewer, degree, specialty):
        raise AccountError(f"{user.email} is already set like that.")
    user.is_clinical_reviewer, user.degree, user.specialty = reviewer, degree, specialty
    state = "clinical reviewer" if reviewer else "not a clinical reviewer"
    _record("reviewer_changed", by, f"{user.email}: {state} ({user.credentials})")


def set_export_permission(user: StaffUser, allowed: bool, *, by: Actor = None) -> None:
    """Allow or stop downloading patients' details (the inbox's CSV export) for one person.

    A change of role leaves it as it is: whoever may take patients' details out of the clinic
    is decided on its own, and shown on the account.

    :raise AccountError: when the account already is as asked.
    """
    if user.can_export == allowed:
        state = "may already" if allowed else "already may not"
        raise AccountError(f"{user.email} {state} export patients' details.")
    user.can_export = allowed
    if allowed:
        _record("export_granted", by, user.email)
    else:
        _record("export_revoked", by, user.email)


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
