"""The lead-capture API: the keys other systems send inquiries with, and what each request
with an Idempotency-Key answered, so a retry gets the same answer and stores nothing new."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """One system allowed to send inquiries. The key itself is shown once and never stored:
    only its SHA-256 (a random 32-byte key needs no slow hash) and a prefix to recognise it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # What its leads show as their source (the inbox's "Source" filter).
    source_name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A Flask-Limiter limit such as "60/minute", counted for this key alone.
    rate_limit: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Who made it, as text: the command line has no account, and accounts change.
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(Base):
    """The first answer to a request sent with an Idempotency-Key, kept per API key.

    The unique (key, Idempotency-Key) pair is what makes two requests sent at once agree: the
    row is claimed before the inquiry is stored, and whoever loses the claim reads it.
    ``response_status`` stays empty while the first request is still being answered.
    """

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the request body as canonical JSON: the same key with another body is refused.
    body_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key"),)
