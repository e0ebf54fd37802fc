"""A bulk change made from the inbox or the automatic-assignment page, kept so it can be undone.

Each changed lead keeps what it was before and what the bulk change made it: an undo puts back
only leads still as the bulk change left them, so later work on a lead is never overwritten.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

BULK_KINDS = ("assign", "status", "auto_assign")


class BulkAction(Base):
    __tablename__ = "bulk_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # What was done, in words fit for staff ("Assigned 12 leads to Amara Okafor").
    summary: Mapped[str] = mapped_column(String(300))
    lead_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    __table_args__ = (Index("ix_bulk_actions_actor_id_created_at", "actor_id", "created_at"),)


class BulkActionLead(Base):
    __tablename__ = "bulk_action_leads"

    bulk_action_id: Mapped[int] = mapped_column(
        ForeignKey("bulk_actions.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    previous_owner_id: Mapped[int | None] = mapped_column(Integer)
    previous_status: Mapped[str | None] = mapped_column(String(32))
    previous_lost_reason: Mapped[str | None] = mapped_column(String(32))
    new_owner_id: Mapped[int | None] = mapped_column(Integer)
    new_status: Mapped[str | None] = mapped_column(String(32))
    new_lost_reason: Mapped[str | None] = mapped_column(String(32))
