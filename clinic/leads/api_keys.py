"""Keys for the lead-capture API: made by an admin, shown once, stored only as a hash.

A key is 32 random bytes, so its SHA-256 is enough to store (nobody can guess their way back
from it, and a slow hash would only slow every request down). A short prefix is kept in the
clear so staff can tell keys apart in the list. Callers audit what they do with these.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from limits import parse_many
from sqlalchemy import bindparam, select, update

from clinic.extensions import db
from clinic.leads import normalise
from clinic.models import ApiKey, StaffUser, utcnow

KEY_START = "clk_"
PREFIX_LENGTH = 12
NAME_MAX = 120
RATE_LIMIT_MAX = 100
DEFAULT_RATE_LIMIT = "60/minute"


class ApiKeyError(ValueError):
    """A key's settings the rules refuse; the message says which and why."""


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is the only copy of the key there will ever be."""

    key: ApiKey
    secret: str


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def checked_rate_limit(value: str) -> str:
    """A limit in Flask-Limiter's words ("60/minute", "1000/day;100/hour").

    :raise ApiKeyError: when it isn't one.
    """
    value = normalise.clean_line(value)
    if not value or len(value) > RATE_LIMIT_MAX:
        raise ApiKeyError("Give a rate limit such as 60/minute.")
    try:
        parse_many(value)
    except ValueError as error:
        raise ApiKeyError(
            f"“{value}” is not a rate limit: write it as a number per period, such as "
            "60/minute or 1000/day (several separated by ;)."
        ) from error
    return value


def create_key(
    name: str,
    *,
    created_by: str,
    source_name: str | None = None,
    rate_limit: str = DEFAULT_RATE_LIMIT,
    creator: StaffUser | None = None,
    now: datetime | None = None,
) -> NewKey:
    """Add a key named ``name`` whose leads show ``source_name`` (the name when not given).

    Call inside the caller's write transaction, with its audit row.

    :raise ApiKeyError: for a missing or too long name or source, or a limit that isn't one.
    """
    name = normalise.clean_line(name)
    source = normalise.clean_line(source_name) or name
    if not name or len(name) > NAME_MAX:
        raise ApiKeyError(f"Give the key a name of at most {NAME_MAX} characters.")
    if len(source) > NAME_MAX:
        raise ApiKeyError(f"The source name can be at most {NAME_MAX} characters.")
    secret = KEY_START + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        source_name=source,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=fingerprint(secret),
        rate_limit=checked_rate_limit(rate_limit),
        created_by_id=creator.id if creator else None,
        created_by=created_by,
        created_at=now or utcnow(),
    )
    db.session.add(key)
    db.session.flush()
    return NewKey(key, secret)


_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("key_hash"))


def find_by_secret(secret: str) -> ApiKey | None:
    """The key this secret is, revoked or not (the caller refuses a revoked one)."""
    if not secret.startswith(KEY_START):
        return None
    return db.session.execute(_BY_HASH, {"key_hash": fingerprint(secret)}).scalar_one_or_none()


def mark_used(key_id: int, now: datetime) -> None:
    """Note the key's last use, in the caller's write transaction."""
    db.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


def revoke(key: ApiKey, now: datetime | None = None) -> bool:
    """Refuse the key from now on; False when it already was revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = now or utcnow()
    return True


def all_keys() -> list[ApiKey]:
    """Every key, those still in use first, newest first."""
    query = select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
    return list(db.session.execute(query).scalars())


def names_by_id(key_ids: set[int]) -> dict[int, str]:
    if not key_ids:
        return {}
    rows = db.session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(key_ids)))
    return {key_id: name for key_id, name in rows}
