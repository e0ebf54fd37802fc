"""Who the clinic is, as its admins keep it: one row, read through clinic.profile."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

PROFILE_ID = 1


class ClinicProfile(Base):
    """The clinic's public facts: name, contact details, address, hours, time zone, logo, links.

    There is only ever the row with id 1; until an admin first saves the profile there is none,
    and the configured first-start defaults are shown instead.
    """

    __tablename__ = "clinic_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254), default="")
    hours: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(200), default="")
    locality: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")
    # The logo's bytes are read only by the logo's own URL, never with the facts every page shows.
    logo_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_type: Mapped[str | None] = mapped_column(String(20))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    facebook_url: Mapped[str] = mapped_column(String(500), default="")
    instagram_url: Mapped[str] = mapped_column(String(500), default="")
    youtube_url: Mapped[str] = mapped_column(String(500), default="")
    linkedin_url: Mapped[str] = mapped_column(String(500), default="")
    x_url: Mapped[str] = mapped_column(String(500), default="")
    other_url: Mapped[str] = mapped_column(String(500), default="")
    other_label: Mapped[str] = mapped_column(String(60), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
