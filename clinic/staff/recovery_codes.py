"""Recovery codes: ten single-use codes that sign someone in when their authenticator is lost.

Shown once when made; only a salted hash of each is kept. Called by two_factor.py, inside the
caller's transaction (no audit rows here: the caller records what happened).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.models.two_factor import RecoveryCode

COUNT = 10
# 12 characters without look-alikes (0/o, 1/l/i), shown in groups of four.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 12
GROUP = 4
# The codes are random, not chosen by people, so a light salted hash is enough; the password
# hash's cost, paid for each of up to ten codes per attempt, would stall the sign-in.
HASH_METHOD = "pbkdf2:sha256:20000"

_SEPARATORS = re.compile(r"[\s-]+")


def _shown(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _as_typed(code: str) -> str | None:
    """A typed code as stored (any case, dashes or spaces); None if it can't be one."""
    code = _SEPARATORS.sub("", code or "").lower()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def delete_all(user: StaffUser) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def replace(user: StaffUser, now: datetime) -> list[str]:
    """Ten new codes for `user`, as they are shown; every earlier code stops working."""
    delete_all(user)
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    db.session.add_all(
        RecoveryCode(
            user_id=user.id,
            code_hash=generate_password_hash(code, method=HASH_METHOD),
            created_at=now,
        )
        for code in codes
    )
    return [_shown(code) for code in codes]


def left(user: StaffUser) -> int:
    query = select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return db.session.execute(query).scalar_one()


def spend(user: StaffUser, code: str, now: datetime) -> bool:
    """Accept an unused code once: it is marked used in the same transaction.

    The unused codes are locked while they are compared, so two requests can't both spend one.
    """
    typed = _as_typed(code)
    if typed is None:
        return False
    query = (
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for stored in db.session.execute(query).scalars():
        if check_password_hash(stored.code_hash, typed):
            stored.used_at = now
            return True
    return False
