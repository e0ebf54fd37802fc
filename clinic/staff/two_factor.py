"""Two-step sign-in: who must use it, setting it up, checking codes, recovery codes, resets.

Plain functions on plain values, like accounts.py: callers wrap them in `write_transaction()`,
which commits the change together with the audit row each function adds. Codes are time-based
one-time passwords (RFC 6238, 30-second steps, 6 digits) from any authenticator app.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, select

from clinic import audit
from clinic.extensions import db
from clinic.models import StaffUser
from clinic.models.staff import ROLES
from clinic.models.two_factor import StaffTwoFactor
from clinic.staff import accounts, recovery_codes
from clinic.staff.secret_sealing import SealBroken, seal, unseal

log = logging.getLogger(__name__)

STEP_SECONDS = 30
CODE_DIGITS = 6
# A code from the step before or after the server's also counts: phone clocks drift, and a code
# typed in its last seconds arrives in the next step.
DRIFT_STEPS = 1
# How long the code page waits after the password was accepted.
PENDING_LIFETIME = timedelta(minutes=5)
# Wrong codes lock the code step: this many within the window lock it for WRONG_CODE_LOCK,
# whoever types them and from wherever (the sign-in rate limit per address applies on top).
WRONG_CODE_LIMIT = 10
WRONG_CODE_WINDOW = timedelta(minutes=15)
WRONG_CODE_LOCK = timedelta(minutes=15)

# STAFF_REQUIRE_2FA: which roles must use it. An unknown value is read as "all", so a typo
# makes the site stricter, never looser (check-deploy reports it).
REQUIREMENTS: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "admins": frozenset({"admin"}),
    "all": frozenset(ROLES),
}

_CODE_SEPARATORS = re.compile(r"[\s-]+")

Actor = StaffUser | str


class TwoFactorError(ValueError):
    """A two-step sign-in request that can't be honoured; the message says why.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code typed at sign-in: `accepted`, or refused (and maybe locked)."""

    accepted: bool
    recovery_code_used: bool = False
    recovery_codes_left: int | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Summary:
    """What a person's account page says about their two-step sign-in."""

    enabled: bool
    required: bool
    recovery_codes_left: int


# --- who must use it -----------------------------------------------------------------------------


def required_roles(setting: str | None) -> frozenset[str]:
    return REQUIREMENTS.get((setting or "").strip().lower(), REQUIREMENTS["all"])


def is_required(user: StaffUser, setting: str | None) -> bool:
    return user.role in required_roles(setting)


def second_factor(user: StaffUser, *, for_update: bool = False) -> StaffTwoFactor | None:
    query = select(StaffTwoFactor).where(StaffTwoFactor.user_id == user.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def is_enabled(user: StaffUser) -> bool:
    factor = second_factor(user)
    return factor is not None and factor.enabled_at is not None


def must_enrol(user: StaffUser, setting: str | None) -> bool:
    """True for someone the policy covers who hasn't finished setting it up."""
    return is_required(user, setting) and not is_enabled(user)


def enabled_user_ids() -> set[int]:
    query = select(StaffTwoFactor.user_id).where(StaffTwoFactor.enabled_at.is_not(None))
    return set(db.session.execute(query).scalars())


def summary(user: StaffUser, setting: str | None) -> Summary:
    return Summary(
        enabled=is_enabled(user),
        required=is_required(user, setting),
        recovery_codes_left=recovery_codes.left(user),
    )


def pending_expired(started_at: datetime | None, now: datetime) -> bool:
    """Whether the wait between an accepted password and its code is over (or never began)."""
    return started_at is None or not started_at <= now < started_at + PENDING_LIFETIME


# --- the authenticator secret --------------------------------------------------------------------


def _sealing_key() -> str:
    return current_app.config["SECRET_KEY"]


def _secret(factor: StaffTwoFactor) -> str | None:
    """The plain secret, or None when it was sealed under another SECRET_KEY."""
    try:
        return unseal(factor.sealed_secret, _sealing_key())
    except SealBroken:
        log.warning(
            "two-step sign-in secret of staff user %s can't be read with this SECRET_KEY; "
            "they can sign in with a recovery code, or an admin can reset it",
            factor.user_id,
        )
        return None


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    """The code an authenticator app shows during `step`."""
    return pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS).generate_otp(step)


def _matching_step(secret: str, code: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step `code` belongs to, within the drift allowed; None if it matches none.

    Steps at or before `last_used_step` are skipped: a code, once accepted, is spent, and so is
    every older one (someone who watched it being typed can't use it again).
    """
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def _as_totp(code: str) -> str | None:
    code = _CODE_SEPARATORS.sub("", code or "")
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def _spend_totp(factor: StaffTwoFactor, code: str, now: datetime) -> bool:
    """Accept a current authenticator code once: its time step is recorded as used."""
    totp = _as_totp(code)
    secret = _secret(factor) if totp else None
    if secret is None:
        return False
    step = _matching_step(secret, totp, now, factor.last_used_step)
    if step is None:
        return False
    factor.last_used_step = step
    return True


def group_for_reading(text: str, size: int = 4) -> str:
    """`text` in groups of `size`, for someone copying it into an app by hand."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address a QR code carries to the authenticator app."""
    return pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


# --- setting it up -------------------------------------------------------------------------------


def start_enrolment(user: StaffUser) -> str:
    """A new secret for `user`, waiting for its first code; returns it to show once.

    Starting again replaces a secret that was never confirmed (a QR code scanned by no one).

    :raise TwoFactorError: when two-step sign-in is already on.
    """
    factor = second_factor(user, for_update=True)
    if factor is not None and factor.enabled_at is not None:
        raise TwoFactorError("Two-step sign-in is already on for your account.")
    secret = pyotp.random_base32()
    if factor is None:
        factor = StaffTwoFactor(user_id=user.id)
        db.session.add(factor)
    factor.sealed_secret = seal(secret, _sealing_key())
    factor.last_used_step = None
    _clear_wrong_codes(factor)
    return secret


def pending_secret(user: StaffUser) -> str | None:
    """The secret being set up (to draw as a QR code again), or None."""
    factor = second_factor(user)
    if factor is None or factor.enabled_at is not None:
        return None
    return _secret(factor)


def confirm_enrolment(user: StaffUser, code: str, now: datetime) -> list[str]:
    """Switch two-step sign-in on once a current code proves the app holds the secret.

    Every other session of the person ends (the caller signs this one in again), and the ten
    recovery codes are returned: they are shown once and only their hashes are kept.

    :raise TwoFactorError: when nothing is being set up or the code doesn't match.
    """
    factor = second_factor(user, for_update=True)
    if factor is None or factor.enabled_at is not None:
        raise TwoFactorError("Start setting up two-step sign-in from your account page first.")
    if not _spend_totp(factor, code, now):
        raise TwoFactorError(
            "That code doesn't match. Type the 6 digits your app shows now.", field="code"
        )
    factor.enabled_at = now
    accounts.end_sessions(user)
    codes = recovery_codes.replace(user, now)
    audit.record("two_factor_enabled", actor=user)
    return codes


# --- recovery codes ------------------------------------------------------------------------------


def new_recovery_codes(user: StaffUser, proof: str, now: datetime) -> list[str]:
    """Ten fresh recovery codes; every earlier one stops working.

    :raise TwoFactorError: when two-step sign-in is off or `proof` is neither the password nor
        a current code.
    """
    factor = second_factor(user, for_update=True)
    if factor is None or factor.enabled_at is None:
        raise TwoFactorError("Two-step sign-in is off, so there are no recovery codes.")
    _require_proof(user, factor, proof, now)
    codes = recovery_codes.replace(user, now)
    audit.record("recovery_codes_replaced", actor=user)
    return codes


# --- signing in ----------------------------------------------------------------------------------


def is_locked(factor: StaffTwoFactor, now: datetime) -> bool:
    return factor.locked_until is not None and now < factor.locked_until


def _note_wrong_code(factor: StaffTwoFactor, user: StaffUser, now: datetime) -> datetime | None:
    """Count a wrong code; returns the end of the lock when this one locks the code step.

    Counted apart from wrong passwords, which a right password clears: someone who knows the
    password must not win a fresh set of guesses at the code by typing it again. Counted per
    account, not per address: only someone with the password gets this far, so a stranger
    can't use it to lock a person out.
    """
    started = factor.first_failed_code_at
    if started is None or now - started >= WRONG_CODE_WINDOW:
        factor.failed_codes = 0
        factor.first_failed_code_at = now
    factor.failed_codes = (factor.failed_codes or 0) + 1
    if factor.failed_codes < WRONG_CODE_LIMIT:
        return None
    factor.failed_codes = 0
    factor.first_failed_code_at = None
    factor.locked_until = now + WRONG_CODE_LOCK
    detail = (
        f"after {WRONG_CODE_LIMIT} wrong sign-in codes; "
        f"locked until {factor.locked_until:%Y-%m-%d %H:%M} UTC"
    )
    audit.record("two_factor_locked", detail=detail, actor_email=user.email)
    return factor.locked_until


def _clear_wrong_codes(factor: StaffTwoFactor) -> None:
    factor.failed_codes = 0
    factor.first_failed_code_at = None
    factor.locked_until = None


def check_sign_in_code(user: StaffUser, code: str, *, now: datetime) -> CodeCheck:
    """The second step of signing in: an authenticator code or an unused recovery code.

    Too many wrong codes lock the code step for a while; while it is locked nothing typed is
    checked, so a lucky guess can't slip through.
    """
    factor = second_factor(user, for_update=True)
    if factor is None or factor.enabled_at is None:
        return CodeCheck(accepted=False)
    if is_locked(factor, now):
        return CodeCheck(accepted=False, locked_until=factor.locked_until)
    if _spend_totp(factor, code, now):
        _clear_wrong_codes(factor)
        audit.record("two_factor_passed", actor=user)
        return CodeCheck(accepted=True)
    if recovery_codes.spend(user, code, now):
        _clear_wrong_codes(factor)
        left = recovery_codes.left(user)
        audit.record("recovery_code_used", detail=f"{left} left", actor=user)
        return CodeCheck(accepted=True, recovery_code_used=True, recovery_codes_left=left)
    audit.record("two_factor_failed", detail="wrong code", actor_email=user.email)
    return CodeCheck(accepted=False, locked_until=_note_wrong_code(factor, user, now))


# --- switching it off ----------------------------------------------------------------------------


def _require_proof(user: StaffUser, factor: StaffTwoFactor, proof: str, now: datetime) -> None:
    """:raise TwoFactorError: unless `proof` is the password or a current authenticator code."""
    if _as_totp(proof) is not None:
        if _spend_totp(factor, proof, now):
            return
    elif proof and accounts.password_matches(user, proof):
        return
    raise TwoFactorError(
        "That is neither your password nor a current code from your app.", field="proof"
    )


def _remove(user: StaffUser) -> None:
    recovery_codes.delete_all(user)
    db.session.execute(delete(StaffTwoFactor).where(StaffTwoFactor.user_id == user.id))


def disable(user: StaffUser, proof: str, *, now: datetime, setting: str | None) -> None:
    """The person switches their own two-step sign-in off.

    :raise TwoFactorError: when the policy requires it for them, it is already off, or `proof`
        is neither their password nor a current code.
    """
    if is_required(user, setting):
        raise TwoFactorError(
            "The clinic requires two-step sign-in for your role, so it can't be switched off. "
            "If you lost your phone, an admin can reset it."
        )
    factor = second_factor(user, for_update=True)
    if factor is None or factor.enabled_at is None:
        raise TwoFactorError("Two-step sign-in is already off.")
    _require_proof(user, factor, proof, now)
    _remove(user)
    audit.record("two_factor_disabled", actor=user)


def reset(user: StaffUser, *, by: Actor) -> None:
    """An admin (or the command line) removes someone's second step, say after a lost phone.

    Their sessions end; they next sign in with the password alone, and set it up again then if
    the policy requires it.

    :raise TwoFactorError: when it is off already, or an admin tries it on their own account
        (which would switch it off without the proof the account page asks for).
    """
    if isinstance(by, StaffUser) and by.id == user.id:
        raise TwoFactorError(
            "You can't reset your own two-step sign-in; switch it off from your account page, "
            "or ask another admin."
        )
    if second_factor(user, for_update=True) is None:
        raise TwoFactorError(f"{user.email} has no two-step sign-in to reset.")
    _remove(user)
    accounts.end_sessions(user)
    if isinstance(by, str):
        audit.record("two_factor_reset", detail=user.email, actor_email=by)
    else:
        audit.record("two_factor_reset", detail=user.email, actor=by)
