"""What patients booking their own consultation leave behind: the reminders already queued.

A reminder's row is written in the same transaction as its message in the outbox, and its key
(appointment, kind, the start it reminds of) is the primary key: a second worker, or one
restarted halfway, fails to insert it again and sends nothing. A consultation moved to another
time gets its reminders again, for the new time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

# How long before the start each reminder goes, in hours.
REMINDER_KINDS = {"24h": 24, "2h": 2}


class AppointmentReminder(Base):
    __tablename__ = "appointment_reminders"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # a key of REMINDER_KINDS
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The outbox message carrying it (not a foreign key: sent messages are pruned), so a
    # reminder not yet sent is withdrawn when the consultation is moved or cancelled.
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)
