"""Slowing down password guessing without locking the owner out.

Failed passwords are counted per typed email and client address, with two rules:

- **One address**: `threshold` failures for an email from one address within `lockout` refuse
  that address for that email until the oldest of them is `lockout` old. The owner, signing in
  from anywhere else, is not affected.
- **Many addresses**: failures for an email spread over many addresses (a botnet, each address
  staying under the first rule) make every new attempt for that email wait after the latest
  failure, 1, 2, 4 … seconds up to `max_delay`, and never longer: the account is slowed, not
  locked. Each address counts at most `threshold - 1` towards this, so a single address, which
  the first rule already stops, never slows the owner down.

The wait is enforced by refusing attempts that come too early, never by sleeping: a request
that sleeps holds one of the few app workers, so a handful of slow guesses could stall the site.

Everything is keyed by a hash of the email as typed, whether or not an account has it, so
unknown, deactivated and existing accounts get the same answers after the same attempts.
Callers run these functions inside `write_transaction()`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, select, update

from clinic.extensions import db
from clinic.models import SignInFailure

LOCKED = "locked"  # this address, for this email
SLOWED = "slowed"  # this email, from every address

# How far back failures from many addresses count towards the wait. Long, so that guessing a
# few times an hour from fresh addresses still meets the cap.
SLOWDOWN_WINDOW = timedelta(hours=24)
FIRST_DELAY_SECONDS = 1
# How long failures are kept: the person sees them on their account page meanwhile.
KEEP_FAILURES = timedelta(days=30)
SHOWN_ADDRESSES = 20


@dataclass(frozen=True)
class SignInPolicy:
    """The two rules' numbers: STAFF_LOCKOUT_THRESHOLD, STAFF_LOCKOUT_MINUTES and
    STAFF_SLOWDOWN_MAX_SECONDS in the configuration."""

    threshold: int = 10
    lockout: timedelta = timedelta(minutes=15)
    max_delay: timedelta = timedelta(minutes=5)

    @classmethod
    def from_config(cls, config: Mapping) -> SignInPolicy:
        return cls(
            threshold=int(config["STAFF_LOCKOUT_THRESHOLD"]),
            lockout=timedelta(minutes=int(config["STAFF_LOCKOUT_MINUTES"])),
            max_delay=timedelta(seconds=int(config["STAFF_SLOWDOWN_MAX_SECONDS"])),
        )


@dataclass(frozen=True)
class Refusal:
    """An attempt turned away without checking its password: `reason` is LOCKED or SLOWED."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class FailureSummary:
    """Failed sign-ins from one address, as a person reviews them."""

    address: str
    attempts: int
    latest: datetime
    locked: bool


def email_key(email: str) -> str:
    """The key failures are counted under: a hash, so typed text isn't stored as such."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def _counting(key: str):
    return and_(SignInFailure.email_key == key, SignInFailure.cleared_at.is_(None))


def address_locked_until(
    key: str, address: str, now: datetime, policy: SignInPolicy
) -> datetime | None:
    """When this address may try this email again, while it has `threshold` recent failures."""
    times = (
        db.session.execute(
            select(SignInFailure.created_at)
            .where(
                _counting(key),
                SignInFailure.address == address,
                SignInFailure.created_at > now - policy.lockout,
            )
            .order_by(SignInFailure.created_at.desc())
            .limit(policy.threshold)
        )
        .scalars()
        .all()
    )
    if len(times) < policy.threshold:
        return None
    return times[-1] + policy.lockout


def delay_after(failures: int, policy: SignInPolicy) -> timedelta:
    """The wait after the latest failure when `failures` count towards it: none below the
    threshold, then 1, 2, 4 … seconds, capped at the policy's maximum."""
    if failures < policy.threshold:
        return timedelta(0)
    # 2**40 seconds is past any sensible cap; bounding it keeps timedelta in range.
    doublings = min(failures - policy.threshold, 40)
    return min(policy.max_delay, timedelta(seconds=FIRST_DELAY_SECONDS * 2**doublings))


def email_not_before(key: str, now: datetime, policy: SignInPolicy) -> datetime | None:
    """The earliest time the next attempt for this email is answered, or None for no wait."""
    per_address = db.session.execute(
        select(func.count(), func.max(SignInFailure.created_at))
        .where(_counting(key), SignInFailure.created_at > now - SLOWDOWN_WINDOW)
        .group_by(SignInFailure.address)
    ).all()
    if not per_address:
        return None
    counted = sum(min(count, policy.threshold - 1) for count, _ in per_address)
    delay = delay_after(counted, policy)
    if not delay:
        return None
    return max(latest for _, latest in per_address) + delay


def refusal(key: str, address: str, now: datetime, policy: SignInPolicy) -> Refusal | None:
    """Whether an attempt for this email from this address must be turned away now."""
    locked_until = address_locked_until(key, address, now, policy)
    if locked_until is not None:
        return Refusal(locked_until, LOCKED)
    not_before = email_not_before(key, now, policy)
    if not_before is not None and now < not_before:
        return Refusal(not_before, SLOWED)
    return None


def charge(key: str, address: str, now: datetime) -> int:
    """Count an attempt as failed before its password is checked; returns the failure's id.

    Counting first means attempts racing in parallel see each other, and a request that dies
    during the check still counts; a right password takes the failure back (`take_back`).
    Failures older than KEEP_FAILURES are deleted here, so the table stays small without a job.
    """
    db.session.execute(
        delete(SignInFailure)
        .where(SignInFailure.created_at < now - KEEP_FAILURES)
        .execution_options(synchronize_session=False)
    )
    failure = SignInFailure(email_key=key, address=address[:64], created_at=now)
    db.session.add(failure)
    db.session.flush()
    return failure.id


def take_back(failure_id: int, key: str, address: str, now: datetime) -> None:
    """A right password: the attempt was no failure, and this address's earlier ones (the
    owner's own typing) stop counting."""
    db.session.execute(
        delete(SignInFailure)
        .where(SignInFailure.id == failure_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(SignInFailure)
        .where(_counting(key), SignInFailure.address == address)
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )


def clear(key: str, now: datetime) -> int:
    """Every failure for this email stops counting (an unlock, a new password); returns how many."""
    result = db.session.execute(
        update(SignInFailure)
        .where(_counting(key))
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def recent_failures(key: str, now: datetime, policy: SignInPolicy) -> list[FailureSummary]:
    """Failed sign-ins for this email over KEEP_FAILURES, by address, the latest first; cleared
    ones included (the person may want to know), with whether the address is locked out now."""
    counting_recently = and_(
        SignInFailure.cleared_at.is_(None), SignInFailure.created_at > now - policy.lockout
    )
    latest = func.max(SignInFailure.created_at)
    rows = db.session.execute(
        select(
            SignInFailure.address,
            func.count(),
            latest,
            func.sum(case((counting_recently, 1), else_=0)),
        )
        .where(SignInFailure.email_key == key, SignInFailure.created_at > now - KEEP_FAILURES)
        .group_by(SignInFailure.address)
        .order_by(latest.desc())
        .limit(SHOWN_ADDRESSES)
    ).all()
    return [
        FailureSummary(address, attempts, last, int(recent or 0) >= policy.threshold)
        for address, attempts, last, recent in rows
    ]


def has_counting_failures(key: str) -> bool:
    """Whether an unlock would change anything."""
    query = select(SignInFailure.id).where(_counting(key)).limit(1)
    return db.session.execute(query).first() is not None
