"""One row per lead: for people (CSV and Excel: names, labels and clinic local times, ids in
their own columns) and for machines (JSON lines: codes and ISO 8601 UTC times)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import BigInteger, Date, Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from clinic import clock
from clinic.extensions import db
from clinic.leads import conditions
from clinic.leads.export_times import LocalTimes
from clinic.leads.pipeline import LOST_REASONS, STATUS_LABELS
from clinic.models import Inquiry, Lead, StaffUser

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000
# CSV rows sent to the client at a time: one write per row would cost a system call each.
CHUNK_ROWS = 500

# What kind of value a column of the people's export holds, so each file type writes it its
# own way (an Excel date, a text cell, a number).
ID, NUMBER, INSTANT, DATE, CLOCK, TEXT, PHONE, LABEL = (
    "id", "number", "instant", "date", "clock", "text", "phone", "label",
)  # fmt: skip
# The people's export, heading and kind of each column. Labels are the clinic's own words;
# TEXT and PHONE cells were typed by someone (a patient, a link, an admin) and could start a
# spreadsheet formula.
SHEET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Lead ID", ID),
    ("Received", INSTANT),
    ("Name", TEXT),
    ("Email", TEXT),
    ("Phone", PHONE),
    ("Status", LABEL),
    ("Lost reason", LABEL),
    ("Condition", LABEL),
    ("Latest message", TEXT),
    ("Inquiries", NUMBER),
    ("First contacted", INSTANT),
    ("Follow-up date", DATE),
    ("Follow-up time", CLOCK),
    ("Contact attempts", NUMBER),
    ("Owner", TEXT),
    ("Owner ID", ID),
    ("Source", TEXT),
    ("UTM source", TEXT),
    ("UTM medium", TEXT),
    ("UTM campaign", TEXT),
    ("Referrer", TEXT),
    ("Landing page", TEXT),
    ("Submitted from", TEXT),
    ("SMS consent", LABEL),
    ("Consent version", TEXT),
)
SHEET_HEADINGS = tuple(heading for heading, _ in SHEET_COLUMNS)
# The machine export's keys (JSON lines), a stable contract for scripts.
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

# One exported lead: its cells in column order (a database row, or a list once cells changed).
Record = Sequence[Any]


def all_leads() -> Select[Lead]:
    return select(Lead).where(Lead.merged_into_id.is_(None)).order_by(Lead.id)


def export_records(lead_query: Select[Lead] | None = None) -> Iterator[Record]:
    """Each lead for machines, as a tuple in :data:`EXPORT_FIELDS` order, streamed: codes as
    stored, dates and times as ISO 8601 text (UTC) written by the database itself (converting
    them in Python was a large part of the export's time)."""
    return _stream(lead_query, _MACHINE_COLUMNS)


def sheet_rows(lead_query: Select[Lead] | None = None) -> Iterator[list[Any]]:
    """Each lead for people, as a list in :data:`SHEET_COLUMNS` order, streamed: the status,
    lost reason and condition by their labels, the owner by name beside the owner's id, consent
    as Yes/No. Instants stay whole UTC seconds since the epoch (the database counts them), so
    each file type turns them into clinic local time its own way (:class:`LocalTimes`); a date
    is 'YYYY-MM-DD', a follow-up time 'HH:MM'."""
    statuses, reasons = STATUS_LABELS, LOST_REASONS
    condition_names = conditions.names()
    owners = dict(db.session.execute(select(StaffUser.id, StaffUser.name)).all())
    consent = {True: "Yes", False: "No"}
    status, lost_reason, condition, owner, sms = _LABELLED
    for row in _stream(lead_query, _SHEET_COLUMNS):
        cells = list(row)
        cells[status] = statuses.get(cells[status], cells[status])
        if cells[lost_reason] is not None:
            cells[lost_reason] = reasons.get(cells[lost_reason], cells[lost_reason])
        cells[condition] = condition_names.get(cells[condition], cells[condition])
        # The database gives the owner's id once; the name goes in before it.
        cells.insert(owner, owners.get(cells[owner]))
        if cells[sms] is not None:
            cells[sms] = consent[bool(cells[sms])]
        yield cells


def _stream(lead_query: Select[Lead] | None, columns: Sequence[Any]) -> Iterator[Record]:
    """``lead_query``'s leads (its filters and order kept) with their latest inquiry, as the
    given columns.

    One statement reads everything — the latest inquiry is joined by its id, found through the
    index on ``inquiries.lead_id`` — through a server-side cursor, so memory stays flat at any
    size and no ORM object is built.
    """
    latest = (
        select(func.max(Inquiry.id))
        .where(Inquiry.lead_id == Lead.id)
        .correlate(Lead)
        .scalar_subquery()
    )
    statement = (
        (lead_query if lead_query is not None else all_leads())
        .with_only_columns(*columns)
        .outerjoin(Inquiry, Inquiry.id == latest)
    )
    connection = db.session.connection()
    yield from connection.execution_options(yield_per=BATCH).execute(statement)


class iso_text(FunctionElement[str]):
    """A UTC timestamp (or a date) as text, exactly as Python's ``isoformat()`` writes the aware
    datetime (or the date): '2024-03-05T14:07:09.120000+00:00', no fraction when it is zero."""

    type = String()
    name = "iso_text"
    inherit_cache = True


class epoch_seconds(FunctionElement[int]):
    """A UTC timestamp as whole seconds since the Unix epoch (the fraction dropped)."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


class clock_text(FunctionElement[str]):
    """A time of day as 'HH:MM'."""

    type = String()
    name = "clock_text"
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


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS bigint)"


@compiles(clock_text, "sqlite")
def _clock_text_sqlite(element: clock_text, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored by SQLAlchemy as 'HH:MM:SS.ffffff'.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 5)"


@compiles(clock_text, "postgresql")
def _clock_text_postgresql(element: clock_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'HH24:MI')"


_MACHINE_COLUMNS = (
    Lead.id, iso_text(Lead.created_at), Lead.name, Lead.email, Lead.phone, Lead.status,
    Lead.lost_reason, Lead.condition_slug, Inquiry.message, Lead.inquiry_count,
    iso_text(Lead.first_contacted_at), iso_text(Lead.follow_up_on), Lead.attempts,
    Lead.owner_id, Lead.source, Inquiry.utm_source, Inquiry.utm_medium, Inquiry.utm_campaign,
    Inquiry.referrer, Inquiry.landing_page, Inquiry.submitted_from, Inquiry.sms_consent,
    Inquiry.consent_version,
)  # fmt: skip
# In SHEET_COLUMNS order but for the owner's name, which sheet_rows adds.
_SHEET_COLUMNS = (
    Lead.id, epoch_seconds(Lead.created_at), Lead.name, Lead.email, Lead.phone, Lead.status,
    Lead.lost_reason, Lead.condition_slug, Inquiry.message, Lead.inquiry_count,
    epoch_seconds(Lead.first_contacted_at), iso_text(Lead.follow_up_on),
    clock_text(Lead.follow_up_time), Lead.attempts, Lead.owner_id, Lead.source,
    Inquiry.utm_source, Inquiry.utm_medium, Inquiry.utm_campaign, Inquiry.referrer,
    Inquiry.landing_page, Inquiry.submitted_from, Inquiry.sms_consent, Inquiry.consent_version,
)  # fmt: skip
_LABELLED = tuple(
    SHEET_HEADINGS.index(heading)
    for heading in ("Status", "Lost reason", "Condition", "Owner", "SMS consent")
)
_INSTANT_CELLS = tuple(i for i, (_, kind) in enumerate(SHEET_COLUMNS) if kind == INSTANT)
# The cells a person typed or a link carried, which could start a spreadsheet formula.
_TYPED_CELLS = tuple(i for i, (_, kind) in enumerate(SHEET_COLUMNS) if kind in (TEXT, PHONE))
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def neutralise_formula(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows: Iterable[list[Any]], *, bom: bool = False) -> Iterator[str]:
    """The people's CSV of :func:`sheet_rows`: times in the clinic's zone with their offset,
    every typed cell that could start a formula prefixed with an apostrophe, a missing value an
    empty cell. The header comes first, on its own, so a download starts at once; then the rows
    in chunks of :data:`CHUNK_ROWS` lines."""
    times = LocalTimes(clock.zone())
    text = times.text
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SHEET_HEADINGS)
    yield ("\ufeff" if bom else "") + buffer.getvalue()
    received, contacted = _INSTANT_CELLS
    typed, first = _TYPED_CELLS, _FORMULA_FIRST
    for chunk in _chunks(rows, CHUNK_ROWS):
        buffer.seek(0)
        buffer.truncate()
        for cells in chunk:
            cells[received] = text(cells[received])
            if cells[contacted] is not None:
                cells[contacted] = text(cells[contacted])
            for index in typed:
                value = cells[index]
                if value and value[0] in first:
                    cells[index] = "'" + value
        writer.writerows(chunk)
        yield buffer.getvalue()


def jsonl_lines(records: Iterable[Record]) -> Iterator[str]:
    """One JSON object per line, in chunks of :data:`CHUNK_ROWS` lines."""
    for chunk in _chunks(records, CHUNK_ROWS):
        yield "".join(
            json.dumps(dict(zip(EXPORT_FIELDS, record, strict=True)), ensure_ascii=False) + "\n"
            for record in chunk
        )


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk
