"""Idempotency-Key for the lead-capture API: a retried request gets the first answer.

The first request with a key claims it by inserting its record (the unique (API key,
Idempotency-Key) pair decides a race: there is no check-then-insert). Whoever finds the key
claimed compares bodies: another body is a conflict; the same body replays the stored answer,
or, while the first request is still being answered, stores the same inquiry again, which
intake turns into the first one (both use :func:`intake_key`). So two identical requests sent
at once both get the same reference and one inquiry is stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import IdempotencyRecord

KEY_MAX = 255


@dataclass(frozen=True)
class Claim:
    """The record a request found or made for its Idempotency-Key."""

    record_id: int
    body_hash: str
    response_status: int | None
    response_body: str | None


def checked_key(value: str) -> str | None:
    """The header's value when usable (1 to 255 visible ASCII characters), else None."""
    if 0 < len(value) <= KEY_MAX and all(33 <= ord(c) <= 126 for c in value):
        return value
    return None


def body_hash(body: object) -> str:
    """The same JSON in any key order or spacing hashes alike."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def intake_key(api_key_id: int, idempotency_key: str) -> str:
    """Intake's idempotency key for this request. The NUL separators can't come from the site's
    forms (intake cleans their tokens of control characters), so no form can take it first."""
    return hashlib.sha256(f"api\0{api_key_id}\0{idempotency_key}".encode()).hexdigest()


_FIND = select(
    IdempotencyRecord.id,
    IdempotencyRecord.body_hash,
    IdempotencyRecord.response_status,
    IdempotencyRecord.response_body,
).where(
    IdempotencyRecord.api_key_id == bindparam("api_key_id"),
    IdempotencyRecord.idempotency_key == bindparam("idempotency_key"),
)
_CLAIM = {
    "postgresql": postgresql.insert(IdempotencyRecord).on_conflict_do_nothing(
        index_elements=[IdempotencyRecord.api_key_id, IdempotencyRecord.idempotency_key]
    ),
    "sqlite": sqlite.insert(IdempotencyRecord).on_conflict_do_nothing(
        index_elements=[IdempotencyRecord.api_key_id, IdempotencyRecord.idempotency_key]
    ),
}


def find(api_key_id: int, idempotency_key: str) -> Claim | None:
    row = (
        db.session.execute(_FIND, {"api_key_id": api_key_id, "idempotency_key": idempotency_key})
        .mappings()
        .first()
    )
    return _claim(row) if row else None


def claim(api_key_id: int, idempotency_key: str, hashed_body: str, now: datetime) -> Claim:
    """Claim the key for this body, or find who claimed it first (committed either way)."""
    with write_transaction():
        connection = db.session.connection()
        values = {
            "api_key_id": api_key_id,
            "idempotency_key": idempotency_key,
            "body_hash": hashed_body,
            "created_at": now,
        }
        connection.execute(_CLAIM[connection.dialect.name], values)
        row = connection.execute(_FIND, values).mappings().one()
    return _claim(row)


def complete(record_id: int, status: int, body: str) -> None:
    """Keep the answer for replays, in the caller's write transaction; the first answer stays."""
    db.session.execute(
        update(IdempotencyRecord)
        .where(and_(IdempotencyRecord.id == record_id, IdempotencyRecord.response_status.is_(None)))
        .values(response_status=status, response_body=body)
    )


def _claim(row: RowMapping) -> Claim:
    return Claim(row["id"], row["body_hash"], row["response_status"], row["response_body"])
