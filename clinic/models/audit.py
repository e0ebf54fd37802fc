"""The append-only audit log: who signed in, read, changed, exported or erased what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Kept as text so the row still says who it was after the account changes.
    actor_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(1000), default="")
    ip: Mapped[str | None] = mapped_column(String(64))

    # The audit page filters by person and by lead and pages by id, newest first: these let
    # a filter on a rare value find its rows without walking the whole (ever-growing) table.
    __table_args__ = (
        Index("ix_audit_entries_created_at", "created_at"),
        Index("ix_audit_entries_action_created_at", "action", "created_at"),
        Index("ix_audit_entries_actor_email_id", "actor_email", "id"),
        Index("ix_audit_entries_lead_id_id", "lead_id", "id"),
    )
