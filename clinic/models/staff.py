"""Staff accounts: coordinators and admins who work the leads, editors who keep the pages."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

# An editor writes the educational pages and sees no patient data (clinic.staff.auth guards it).
ROLES = ("admin", "coordinator", "editor")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class StaffUser(UserMixin, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="coordinator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # May download patients' details (the inbox CSV): granted per person by an admin.
    can_export: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rotated on logout, password change and deactivation: old session cookies stop working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The inbox's owner filter this person last chose ("me", "anyone", "unassigned" or a staff
    # id); None means their role's default: "me" for coordinators, "anyone" for admins.
    inbox_owner: Mapped[str | None] = mapped_column(String(20))
    # Marked by an admin: may approve medical pages for publication (never their own change).
    # The degree and specialty appear beside the name in "Medically reviewed by" bylines.
    is_clinical_reviewer: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    degree: Mapped[str | None] = mapped_column(String(60))  # "MD", "DO, PhD", "RN, BSN"
    specialty: Mapped[str | None] = mapped_column(String(120))  # "Rheumatology"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"

    @property
    def sees_patient_data(self) -> bool:
        """Admins and coordinators work the leads; editors never see a patient's details."""
        return self.role != "editor"

    @property
    def credentials(self) -> str:
        """The name as a byline shows it: "Dana Reyes, MD, Rheumatology"."""
        return ", ".join(part for part in (self.name, self.degree, self.specialty) if part)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"
