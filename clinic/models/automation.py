"""What the clinic automates: who gets new leads, where events are sent, saved replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base, UTCDateTime, utcnow

assignment_rule_members = Table(
    "assignment_rule_members",
    Base.metadata,
    Column("rule_id", ForeignKey("assignment_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_users.id"), primary_key=True),
)


class AssignmentRule(Base):
    """New leads about one condition go round-robin to a chosen team instead of everyone."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_slug: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    members = relationship(
        "StaffUser", secondary=assignment_rule_members, order_by="StaffUser.id", lazy="selectin"
    )


class AssignmentCursor(Base):
    """Where the round-robin stopped in each pool, so the next lead goes to the next person."""

    __tablename__ = "assignment_cursors"

    pool: Mapped[str] = mapped_column(String(40), primary_key=True)  # everyone | rule:<id>
    last_staff_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def event_names(events: str) -> list[str]:
    """The event types of an endpoint's comma-separated ``events`` column."""
    return [name for name in events.split(",") if name]


class WebhookEndpoint(Base):
    """A system outside the clinic that is told, signed, when leads arrive and move."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    # The receiver needs the same secret to check signatures, so it is kept, not hashed.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[str] = mapped_column(String(200))  # comma-separated event types
    include_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def event_types(self) -> list[str]:
        return event_names(self.events)


class ReplyTemplate(Base):
    """A reply coordinators reuse for emails and texts, written once by an admin."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
