"""One row per lead for spreadsheets (CSV) and machines (JSON lines)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Date, Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from clinic.extensions import db
from clinic.models import Inquiry, Lead

EXPORT_FIELDS = (
    "id",
    "created_at",
    "name",
    "email",
    "phone",
    "status",
    "lost_reason",
    "condition",
    "message",
    "inquiry_count",
    "first_contacted_at",
    "follow_up_on",
    "attempts",
    "owner_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "landing_page",
    "submitted_from",
    "sms_consent",
    "consent_version",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000
# CSV rows sent to the client at a time: one write per row would cost a system call each.
CHUNK_ROWS = 500

# One exported lead: its cells in EXPORT_FIELDS order (a database row, or a list once a cell
# has been neutralised).
Record = Sequence[Any]


def all_leads() -> Select[Lead]:
    return select(Lead).where(Lead.merged_into_id.is_(None)).order_by(Lead.id)


def export_records(lead_query: Select[Lead] | None = None) -> Iterator[Record]:
    """Each lead with its latest inquiry's message and attribution, as a tuple in
    :data:`EXPORT_FIELDS` order, streamed.

    ``lead_query`` selects leads (its filters and order are kept). One statement reads
    everything — the latest inquiry is joined by its id, found through the index on
    ``inquiries.lead_id`` — through a server-side cursor, so memory stays flat at any size and
    no ORM object is built.
    """
    latest = (
        select(func.max(Inquiry.id))
        .where(Inquiry.lead_id == Lead.id)
        .correlate(Lead)
        .scalar_subquery()
    )
    statement = (
        (lead_query if lead_query is not None else all_leads())
        .with_only_columns(*_COLUMNS)
        .outerjoin(Inquiry, Inquiry.id == latest)
    )
    connection = db.session.connection()
    # Dates and times leave the database as ISO 8601 text, written by the database itself:
    # converting two timestamps per row in Python was a large part of the export's time.
    statement = statement.with_only_columns(
        *(iso_text(c) if i in _ISO_CELLS else c for i, c in enumerate(_COLUMNS))
    )
    rows = connection.execution_options(yield_per=BATCH).execute(statement)
    yield from rows


class iso_text(FunctionElement[str]):
    """A UTC timestamp (or a date) as text, exactly as Python's ``isoformat()`` writes the aware
    datetime (or the date): '2024-03-05T14:07:09.120000+00:00', no fraction when it is zero."""

    type = String()
    name = "iso_text"
    inherit_cache = True


def _is_date(element: iso_text) -> bool:
    return isinstance(next(iter(element.clauses)).type, Date)


@compiles(iso_text, "sqlite")
def _iso_text_sqlite(element: iso_text, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored by SQLAlchemy as text: 'YYYY-MM-DD' for a date, 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
    # for a timestamp.
    x = compiler.process(element.clauses, **kw)
    if _is_date(element):
        return x
    return (
        f"substr({x}, 1, 10) || 'T' || substr({x}, 12, 8)"
        f" || CASE WHEN substr({x}, 20) IN ('', '.000000') THEN '' ELSE substr({x}, 20) END"
        " || '+00:00'"
    )


@compiles(iso_text, "postgresql")
def _iso_text_postgresql(element: iso_text, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    if _is_date(element):
        return f"to_char({x}, 'YYYY-MM-DD')"
    utc = f"timezone('UTC', {x})"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN mod(extract(microseconds FROM {x})::int, 1000000) = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00'"
    )


_COLUMNS = (
    Lead.id, Lead.created_at, Lead.name, Lead.email, Lead.phone, Lead.status, Lead.lost_reason,
    Lead.condition_slug, Inquiry.message, Lead.inquiry_count, Lead.first_contacted_at,
    Lead.follow_up_on, Lead.attempts, Lead.owner_id, Lead.source, Inquiry.utm_source,
    Inquiry.utm_medium, Inquiry.utm_campaign, Inquiry.referrer, Inquiry.landing_page,
    Inquiry.submitted_from, Inquiry.sms_consent, Inquiry.consent_version,
)  # fmt: skip
_ISO_CELLS = tuple(
    EXPORT_FIELDS.index(field) for field in ("created_at", "first_contacted_at", "follow_up_on")
)
# The cells a person typed or a link carried, which could start a spreadsheet formula.
_TEXT_CELLS = tuple(
    EXPORT_FIELDS.index(field)
    for field in ("name", "email", "phone", "message", "source", "utm_source", "utm_medium",
                  "utm_campaign", "referrer", "landing_page", "submitted_from")
)  # fmt: skip


def neutralise_formula(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_row(row: Record) -> Record:
    """The row with every text cell that could start a formula neutralised."""
    cells: list[Any] | None = None
    for index in _TEXT_CELLS:
        value = row[index]
        if value and value[0] in _FORMULA_FIRST:
            cells = cells or list(row)
            cells[index] = "'" + value
    return cells or row


_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def csv_lines(records: Iterable[Record], *, bom: bool = False) -> Iterator[str]:
    """The header (first, on its own, so a download starts at once), then the rows in chunks of
    :data:`CHUNK_ROWS` lines. A missing value is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    yield ("\ufeff" if bom else "") + buffer.getvalue()
    for chunk in _chunks(records, CHUNK_ROWS):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_safe_row(record) for record in chunk])
        yield buffer.getvalue()


def jsonl_lines(records: Iterable[Record]) -> Iterator[str]:
    """One JSON object per line, in chunks of :data:`CHUNK_ROWS` lines."""
    for chunk in _chunks(records, CHUNK_ROWS):
        yield "".join(
            json.dumps(dict(zip(EXPORT_FIELDS, record, strict=True)), ensure_ascii=False) + "\n"
            for record in chunk
        )


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk
