"""Messages waiting to leave the system, written in the same transaction as what caused them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(Base):
    """One message for one recipient on one channel.

    ``channel`` picks the sender (clinic.notify.senders): "email" uses recipient, subject and
    body; other channels (a webhook) read their target from ``recipient`` and their content from
    the JSON ``payload``. A sender claims a message by setting ``status`` to "sending" with a
    ``claim_token`` until ``claimed_until``; a claim that outlives its lease is taken again.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # staff_new_inquiry | acknowledgement | digest | password_reset (email); other channels add
    # their own.
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20), default="email", server_default="email")
    recipient: Mapped[str] = mapped_column(String(500))
    # sha256 of the lower-cased recipient: lets us cap acknowledgements per address.
    recipient_key: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # The lead it is about, if any: erasing the lead deletes its unsent messages.
    lead_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # see OUTBOX_STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index(
            "ix_outbox_messages_kind_recipient_key_created_at",
            "kind",
            "recipient_key",
            "created_at",
        ),
        Index("ix_outbox_messages_lead_id", "lead_id"),
    )
