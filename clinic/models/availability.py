"""When staff hold consultations: weekly hours per kind, one-off exceptions, the clinic's booking
rules, and the private calendar feeds that put each person's bookings in their own calendar.

Weekly hours are clinic wall-clock times (clinic.clock's zone), so 09:00 stays 09:00 across a
daylight-saving change; exceptions are instants (UTC) because time off is a span of real time.
The rules that keep these rows sensible (end after start, no overlaps, 5-minute steps) are in
clinic.leads.availability.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

EXCEPTION_KINDS = {"off": "Time off", "extra": "Extra hours"}


class WeeklyHours(Base):
    """One range of hours on one weekday in which a person holds one kind of consultation."""

    __tablename__ = "weekly_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # a key of APPOINTMENT_KINDS
    weekday: Mapped[int] = mapped_column(SmallInteger)  # date.weekday(): Monday = 0
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    # Where an in-person consultation happens (an address or a room); None for phone and video.
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_weekly_hours_staff_user_id_kind_weekday", "staff_user_id", "kind", "weekday"),
    )


class AvailabilityException(Base):
    """Time off (no consultations of any kind) or extra hours (one-off, for the kinds named)."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(10))  # a key of EXCEPTION_KINDS
    # Extra hours: the consultation kinds offered, comma-separated ("phone,video"); None for off.
    kinds: Mapped[str | None] = mapped_column(String(60))
    location: Mapped[str | None] = mapped_column(String(300))  # extra hours in person
    note: Mapped[str | None] = mapped_column(String(200))  # "Holiday", "Conference"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    __table_args__ = (
        Index(
            "ix_availability_exceptions_staff_user_id_ends_at",
            "staff_user_id",
            "ends_at",
        ),
    )

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in (self.kinds or "").split(",") if kind]


class BookingSettings(Base):
    """The clinic's booking rules: one row (id 1), edited by admins; missing means the defaults."""

    __tablename__ = "booking_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=10)
    horizon_days: Mapped[int] = mapped_column(Integer, default=21)
    notice_business_hours: Mapped[int] = mapped_column(Integer, default=4)
    link_days: Mapped[int] = mapped_column(Integer, default=14)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class CalendarFeed(Base):
    """A private calendar (ICS) address of one staff member. Only the token's SHA-256 is kept:
    the address is shown once, and a copy of the database can't be used to read the feed."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_calendar_feeds_staff_user_id", "staff_user_id"),)
