"""Educational pages: the published page patients read, its revisions, and clinicians' reviews.

`Article` is what the public site reads: the published revision rendered once, at publication,
with the byline's facts (who wrote it, which clinician approved it and when) copied from the
approval. Editors change a page by saving `PageRevision`s; nothing they save reaches patients
until a clinical reviewer records a `PageReview` approving it. Revisions and reviews are never
changed or deleted by the app: restoring an old text is a new revision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

# What a clinical reviewer decided about a revision.
REVIEW_DECISIONS = ("approved", "changes_requested")


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
    # The published revision's structured references, for the numbered list under the text.
    references_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    position: Mapped[int] = mapped_column(Integer, default=100)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # Of the shipped Markdown source last loaded by `content sync` (it skips unchanged ones).
    source_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which revision patients see, and the byline copied from its approval at publication.
    published_revision: Mapped[int | None] = mapped_column(Integer)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))  # None: shipped
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def path(self) -> str:
        return f"/conditions/{self.slug}" if self.kind == "condition" else f"/{self.slug}"


class PageRevision(Base):
    """One saved version of a page's source: every save in the browser, every shipped version."""

    __tablename__ = "page_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… per page
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    condition_name: Mapped[str | None] = mapped_column(String(120))
    sections_json: Mapped[str] = mapped_column(Text, default="[]")
    body_markdown: Mapped[str] = mapped_column(Text)
    references_json: Mapped[str] = mapped_column(Text, default="[]")
    # None: shipped with the app and loaded by `content sync`, written by nobody at the clinic.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(
        String(300), default=""
    )  # what changed, in the author's words


class PageReview(Base):
    """A clinical reviewer's decision on one revision; an approval publishes it."""

    __tablename__ = "page_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("page_revisions.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(20))  # approved | changes_requested
    comment: Mapped[str] = mapped_column(Text, default="")
    # The sentences the claim checker flagged in the revision, and why the reviewer let them stand.
    flagged_json: Mapped[str] = mapped_column(Text, default="[]")
    claims_reason: Mapped[str] = mapped_column(Text, default="")
