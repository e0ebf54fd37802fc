"""The exact consent wording patients were shown: one row per distinct text, kept for good.

Each inquiry points at the row it agreed to (``inquiries.consent_text_id``), so the record shows
the words themselves, not only a version label. Rows are never changed or deleted by the app.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class ConsentText(Base):
    __tablename__ = "consent_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Of ``text`` as UTF-8: the same words are stored once, whatever version label they carry.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    first_shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
