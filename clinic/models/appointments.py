"""Consultations booked for a lead: when, how long, what kind, where, who holds it, and how it went.

General on purpose: staff book them today, and patients will book themselves on the same rows
(``booked_by_id`` None with ``booked_via`` "patient"), so nothing here assumes a coordinator.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

APPOINTMENT_KINDS = {"phone": "Phone", "video": "Video", "in_person": "In person"}
APPOINTMENT_STATUSES = {
    "booked": "Booked",
    "attended": "Attended",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}
BOOKED_VIA = ("staff", "patient")
# Rows still ahead of the clinic: the partial indexes below hold only these.
BOOKED_ROWS = "status = 'booked'"
# One booked consultation per host and start (migration 0030_patient_booking): the database,
# not a check before inserting, decides which of two patients choosing the same time gets it.
BOOKED_SLOT_ROWS = "status = 'booked' AND host_id IS NOT NULL"


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    # Stored in UTC; entered and shown in the clinic's time zone (clinic.clock).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    kind: Mapped[str] = mapped_column(String(20))
    # An address or room for a visit, a meeting link for video, a number for a call.
    location: Mapped[str | None] = mapped_column(String(300))
    # Who holds it (a coordinator or clinician); None when not yet decided.
    host_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    # A staff note about the arrangement (parking, interpreter); never sent to anyone.
    note: Mapped[str | None] = mapped_column(Text)
    booked_via: Mapped[str] = mapped_column(String(20), default="staff")
    # None when the patient booked it themselves.
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When attended, no-show or cancelled was recorded, and by whom (None: the system).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # The calendar invitation's SEQUENCE (RFC 5545): one more each time the patient is sent an
    # updated invitation (moved, cancelled), so their calendar replaces the one it holds.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The patient's own time zone as their browser named it when they booked (an IANA name),
    # for the times in their emails; None: the clinic's.
    timezone_hint: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_appointments_lead_id_starts_at", "lead_id", "starts_at"),
        # A day's booked appointments, everyone's (Today for admins) or one host's.
        Index(
            "ix_appointments_booked_starts_at",
            "starts_at",
            "host_id",
            sqlite_where=text(BOOKED_ROWS),
            postgresql_where=text(BOOKED_ROWS),
        ),
        Index(
            "ix_appointments_booked_host_starts_at",
            "host_id",
            "starts_at",
            sqlite_where=text(BOOKED_ROWS),
            postgresql_where=text(BOOKED_ROWS),
        ),
        Index(
            "uq_appointments_booked_host_starts_at",
            "host_id",
            "starts_at",
            unique=True,
            sqlite_where=text(BOOKED_SLOT_ROWS),
            postgresql_where=text(BOOKED_SLOT_ROWS),
        ),
    )
