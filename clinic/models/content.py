"""Educational pages loaded from the Markdown sources by `flask content sync`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # condition | page
    title: Mapped[str] = mapped_column(String(200))
    condition_name: Mapped[str | None] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text)
    toc_json: Mapped[str] = mapped_column(Text, default="[]")
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=100)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def path(self) -> str:
        return f"/conditions/{self.slug}" if self.kind == "condition" else f"/{self.slug}"
