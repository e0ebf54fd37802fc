"""A staff member's second sign-in step: their authenticator secret and their recovery codes.

Kept beside staff_users rather than in it: an admin's reset deletes these rows and nothing else,
and most accounts (coordinators where only admins must use it) never have any.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class StaffTwoFactor(Base):
    __tablename__ = "staff_two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    # Sealed with a key derived from SECRET_KEY (clinic.staff.secret_sealing): a dump of the
    # database alone doesn't let anyone make codes.
    sealed_secret: Mapped[str] = mapped_column(String(255))
    # None while set-up waits for its first code; until then the secret signs nobody in.
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The newest 30-second time step a code was accepted for: that code, and any older one,
    # never works again.
    last_used_step: Mapped[int | None] = mapped_column(Integer)
    # Wrong codes in a row; a right password doesn't clear them, only a right code does.
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_code_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Too many wrong codes: no code is checked before this time.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """One single-use code for when the authenticator is lost; only its hash is kept."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
