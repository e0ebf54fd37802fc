"""Leads imported from a spreadsheet or another CRM: each upload (ImportBatch), its rows kept in
pieces while it is imported (ImportChunk), and column mappings saved for the next file.

The rows live in the database, not on one server's disk, so any app server can take the next
piece of an import and a restart resumes after the last piece committed. A piece's rows are
dropped as it is imported (only its refused rows stay, for the refused-rows download): the
people imported then live only as leads, which erasure reaches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

# uploaded → checked (a dry run counted it) → running → done; undoing → undone; the mapping
# can change until it runs (a changed mapping needs a new dry run).
IMPORT_STATUSES = ("uploaded", "checked", "running", "done", "undoing", "undone")


class ImportBatch(Base):
    """One uploaded file, what it was read as, how its columns map, and what became of it."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # The lead source new leads get when the row names none ("Old CRM", "Spring fair").
    source: Mapped[str] = mapped_column(String(120))
    file_kind: Mapped[str] = mapped_column(String(10))  # csv or xlsx
    file_bytes: Mapped[int] = mapped_column(Integer, default=0)
    # How a CSV was read (shown to the admin, who may upload again choosing otherwise).
    encoding: Mapped[str | None] = mapped_column(String(20))
    delimiter: Mapped[str | None] = mapped_column(String(1))
    # The header row as read, and the mapping chosen for it, both JSON.
    headers: Mapped[str] = mapped_column(Text, default="[]")
    mapping: Mapped[str | None] = mapped_column(Text)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="uploaded")

    # The dry run's counts for the mapping as it was then (None until one ran).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_new: Mapped[int | None] = mapped_column(Integer)
    check_joined: Mapped[int | None] = mapped_column(Integer)
    check_possible: Mapped[int | None] = mapped_column(Integer)
    check_refused: Mapped[int | None] = mapped_column(Integer)

    # The import itself: how far it got (committed with the rows of each piece) and its counts.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    next_chunk: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    new_leads: Mapped[int] = mapped_column(Integer, default=0)
    joined: Mapped[int] = mapped_column(Integer, default=0)
    possible_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    # When the last piece was written: a lead of the batch changed after it was changed by
    # someone else, so undo leaves it.
    last_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # What undo removed and what it left and why, JSON {"removed": {what: how many},
    # "kept": {lead id: reason}}; kept across an undo interrupted and run again.
    undo_report: Mapped[str | None] = mapped_column(Text)


class ImportChunk(Base):
    """A piece of an upload's rows, JSON ``[[row number, [cell, …]], …]`` (row 1 is the
    header), imported in one transaction; afterwards it holds only the rows refused."""

    __tablename__ = "import_chunks"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rows: Mapped[int] = mapped_column(Integer)
    cells: Mapped[str] = mapped_column(Text)


class ImportMapping(Base):
    """A column mapping saved under a name, offered for the next file from the same system."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # JSON: {"columns": {header: field}, "date_order": "dmy" | "mdy" | "ymd"}.
    fields: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
