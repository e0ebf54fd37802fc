"""What guards staff sign-in: failed attempts, and the links that let someone choose a new password.

Neither table holds a secret: failures are keyed by a hash of the email typed, and a reset link's
token is kept only as its hash, so a copy of the database can't be used to sign in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class SignInFailure(Base):
    """One refused password for one typed email, from one client address.

    Keyed by the email typed (hashed) rather than by account, so addresses nobody uses are
    counted exactly like staff ones and the answers can't tell them apart.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the trimmed, lower-cased email (clinic.staff.sign_in_throttle.email_key).
    email_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by a right password from the same address, an admin's unlock or a password reset: the
    # failure no longer slows anyone down, but the person still sees it on their account page.
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_sign_in_failures_email_key_created_at", "email_key", "created_at"),
        Index("ix_sign_in_failures_created_at", "created_at"),
    )


class PasswordResetToken(Base):
    """A single-use link to choose a new password, sent by email; only the token's hash is kept."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
