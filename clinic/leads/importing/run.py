"""An import from upload to stored leads: the rows kept in pieces, a dry run that counts what
would happen, then the import, one piece per transaction, resumable after a restart.

Each piece (:data:`CHUNK_ROWS` rows) is written in one transaction together with the batch's
progress, so a piece is in whole or not at all, and the next step starts after the last piece
committed, whichever server takes it. A row joins a lead by the public form's rule (see
clinic.leads.importing.matching): joining adds an inquiry to the lead and changes nothing stored
about the person. Imported leads keep their original creation time, name their batch and source,
and never get a wait until first contact (speed to lead leaves them out); the derived tables
(status counts, message search) are kept as intake keeps them. Nothing is sent: no
notification, webhook or automatic assignment runs for an imported row.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, func, insert, select, text, update

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import derived, facts, normalise
from clinic.leads.export import neutralise_formula
from clinic.leads.importing.mapping import Mapping, guess_mapping
from clinic.leads.importing.matching import (
    UNSTORED_FROM,
    Candidate,
    EarlierPeople,
    People,
    lock_people,
)
from clinic.leads.importing.reading import SheetFile
from clinic.leads.importing.rows import CheckedRow, RowChecker
from clinic.leads.pipeline import stage_rank
from clinic.models import ImportBatch, ImportChunk, Inquiry, Lead, LeadEvent, StaffUser, utcnow

# Rows per piece: one transaction each. On PostgreSQL a piece holds an advisory lock per
# email and phone in it, and the server's lock table is shared by every connection.
CHUNK_ROWS = 500
PREVIEW_ROWS = 20
# What an imported inquiry says of consent: none was given on this site's form.
IMPORTED_CONSENT = "imported"
CHANNEL = "import"

_ADD_COUNTS = text(
    """INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
    VALUES (:status, :condition, :owner, :leads)
    ON CONFLICT (status, condition_slug, owner_key)
    DO UPDATE SET leads = lead_counts.leads + excluded.leads"""
)
# Inserted many at a time without RETURNING (which SQLite can't order, so SQLAlchemy would send
# them one by one), then their ids read back by keys unique among the piece's rows.
_INSERT_LEADS = insert(Lead)
_INSERT_INQUIRIES = insert(Inquiry)
_LAST_LEAD = select(func.max(Lead.id))
_LAST_INQUIRY = select(func.max(Inquiry.id))
_TRIGGER_SQL = text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name")
_FILL_NAME_SEARCH = text(
    """INSERT INTO leads_fts (rowid, name_key, email_key, phone_digits)
    SELECT id, name_key, email_key, phone_digits FROM leads
    WHERE import_batch_id = :batch AND id > :before"""
)
_INSERT_EVENTS = insert(LeadEvent)
_JOIN_LEADS = (
    update(Lead)
    .where(Lead.id == bindparam("joined_id"))
    .values(
        inquiry_count=Lead.inquiry_count + bindparam("added"),
        last_inquiry_at=case(
            (Lead.last_inquiry_at < bindparam("latest"), bindparam("latest")),
            else_=Lead.last_inquiry_at,
        ),
        updated_at=bindparam("now"),
    )
)
_MARK_LEADS = (
    update(Lead)
    .where(Lead.id == bindparam("marked_id"))
    .values(possible_duplicate_of_id=bindparam("other_id"))
)


class ImportStateError(ValueError):
    """The batch is not in a state for that (already running, already undone…)."""


@dataclass
class Counts:
    """What an import did or would do: rows making a new lead, rows joining a lead (stored, or
    started by an earlier row of the file), new leads marked as possibly the same person as
    another, and refused rows. Every row is in exactly one."""

    new: int = 0
    joined: int = 0
    possible: int = 0
    refused: int = 0

    def line(self) -> str:
        return (
            f"{self.new:,} new, {self.joined:,} joined, {self.possible:,} possible duplicates, "
            f"{self.refused:,} refused"
        )

    @property
    def rows(self) -> int:
        return self.new + self.joined + self.possible + self.refused


# --- storing the upload ----------------------------------------------------------------------


def store_upload(
    sheet: SheetFile,
    *,
    filename: str,
    source: str,
    file_bytes: int,
    actor: StaffUser | None,
    month_first: bool,
) -> int:
    """Keep the upload's rows in pieces, with a guessed mapping; returns the batch id.

    The rows go through a temporary file first, so the write transaction (which holds SQLite's
    write lock) lasts only as long as the inserts, not the reading of the file.

    :raise ImportFileError: from reading the file (see clinic.leads.importing.reading).
    """
    sample: list[list[str]] = []
    total = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as pieces:
        piece: list[list[object]] = []
        for number, cells in sheet.rows:
            if not any(cell.strip() for cell in cells):
                continue
            total += 1
            if len(sample) < PREVIEW_ROWS:
                sample.append(cells)
            piece.append([number, cells])
            if len(piece) == CHUNK_ROWS:
                pieces.write(_piece_line(piece))
                piece = []
        if piece:
            pieces.write(_piece_line(piece))
        mapping = guess_mapping(sheet.headers, sample, month_first=month_first)
        pieces.seek(0)
        with write_transaction():
            batch = ImportBatch(
                created_by_id=actor.id if actor else None,
                filename=filename[:255],
                source=source[:120],
                file_kind=sheet.kind,
                file_bytes=file_bytes,
                encoding=sheet.encoding,
                delimiter=sheet.delimiter,
                headers=json.dumps(sheet.headers, ensure_ascii=False),
                mapping=mapping.to_json(),
                total_rows=total,
                status="uploaded",
            )
            db.session.add(batch)
            db.session.flush()
            for number, line in enumerate(pieces):
                count, text_ = line.rstrip("\n").split("\t", 1)
                db.session.add(
                    ImportChunk(batch_id=batch.id, number=number, rows=int(count), cells=text_)
                )
            audit.record(
                "import_uploaded",
                actor=actor,
                actor_email=None if actor else "system",
                detail=f"batch {batch.id}: {filename[:200]}, {total} rows",
            )
            batch_id = batch.id
    return batch_id


def _piece_line(piece: list[list[object]]) -> str:
    """A piece in the temporary file: its row count, a tab, its JSON (which escapes tabs and
    line breaks inside cells)."""
    return f"{len(piece)}\t{json.dumps(piece, ensure_ascii=False)}\n"


def headers_of(batch: ImportBatch) -> list[str]:
    return list(json.loads(batch.headers))


def mapping_of(batch: ImportBatch) -> Mapping:
    return Mapping.from_json(batch.mapping, len(headers_of(batch)))


def chunk_count(batch_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count()).select_from(ImportChunk).where(ImportChunk.batch_id == batch_id)
        ).scalar_one()
    )


def _piece_rows(chunk: ImportChunk) -> list[tuple[int, list[str]]]:
    return [
        (int(number), [str(cell) for cell in cells]) for number, cells in json.loads(chunk.cells)
    ]


def batch_rows(batch_id: int, *, from_chunk: int = 0) -> Iterator[tuple[int, list[str]]]:
    """The rows still kept, piece by piece (one piece in memory at a time)."""
    number = from_chunk
    while True:
        chunk = db.session.get(ImportChunk, (batch_id, number))
        if chunk is None:
            return
        rows = _piece_rows(chunk)
        db.session.expunge(chunk)
        yield from rows
        number += 1


def first_rows(batch_id: int, count: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
    rows = []
    for row in batch_rows(batch_id):
        rows.append(row)
        if len(rows) == count:
            break
    return rows


def set_mapping(batch: ImportBatch, mapping: Mapping, actor: StaffUser | None) -> None:
    """Keep a new mapping (in the caller's transaction); a dry run must count it again.

    :raise ImportStateError: once the import has started.
    """
    if batch.status not in ("uploaded", "checked"):
        raise ImportStateError("This import has started: its mapping can't change any more.")
    if mapping.to_json() != batch.mapping:
        batch.mapping = mapping.to_json()
        batch.status = "uploaded"
        batch.checked_at = None
        batch.check_new = batch.check_joined = batch.check_possible = batch.check_refused = None


# --- what each row would become ---------------------------------------------------------------


@dataclass
class Outcome:
    """A checked row and what it becomes: "new", "joined" or "possible" (a new lead marked as
    possibly the same person as ``lead_id``), or "refused"."""

    row: CheckedRow
    kind: str
    lead_id: int | None = None

    @property
    def stored_lead(self) -> int | None:
        """The stored lead it joins or is marked against (None: one earlier in the file)."""
        return self.lead_id if self.lead_id is not None and self.lead_id < UNSTORED_FROM else None


@dataclass
class _Plan:
    """A piece's rows decided: each row's outcome and the lead (stored or new) it goes to."""

    outcomes: list[Outcome] = field(default_factory=list)
    # Per valid row, in order: the lead id it goes to (new leads: an unstored id).
    targets: list[tuple[CheckedRow, int]] = field(default_factory=list)
    # New leads in insertion order: their unstored id and the lead they are marked against.
    new_leads: list[tuple[int, int | None]] = field(default_factory=list)


def _decide(rows: list[CheckedRow], people: People, next_unstored: Callable[[], int]) -> _Plan:
    plan = _Plan()
    valid = [row for row in rows if not row.refused]
    people.load((row.email_key for row in valid), (row.digits for row in valid))
    for row in rows:
        if row.refused:
            plan.outcomes.append(Outcome(row, "refused"))
            continue
        found = people.best(row.email_key, row.digits)
        if found is not None and found.joins:
            plan.outcomes.append(Outcome(row, "joined", found.candidate.id))
            plan.targets.append((row, found.candidate.id))
            continue
        lead_id = next_unstored()
        marked = found.candidate.id if found else None
        people.add(Candidate(lead_id, row.email_key, row.digits))
        plan.new_leads.append((lead_id, marked))
        plan.targets.append((row, lead_id))
        plan.outcomes.append(Outcome(row, "possible" if marked else "new", marked))
    return plan


def _unstored_ids() -> Callable[[], int]:
    counter = iter(range(UNSTORED_FROM, 2**62))
    return lambda: next(counter)


def preview(batch: ImportBatch, mapping: Mapping, *, now: datetime | None = None) -> list[Outcome]:
    """The first rows as the mapping reads them and what each would become now."""
    checker = RowChecker.for_import(mapping, batch.source, now or utcnow())
    rows = [checker.check(number, cells) for number, cells in first_rows(batch.id)]
    return _decide(rows, People(), _unstored_ids()).outcomes


def dry_run(batch_id: int, *, now: datetime | None = None) -> Counts:
    """Count what the import would do with the batch's mapping, store nothing but the counts.

    Reads the rows piece by piece; the people the file would start are remembered (their keys
    only, in a temporary file: see matching.EarlierPeople) so a person twice in the file counts
    once as new.

    :raise ImportStateError: once the import has started.
    """
    batch = db.session.get_one(ImportBatch, batch_id)
    if batch.status not in ("uploaded", "checked"):
        raise ImportStateError("This import has started: a dry run can't count it any more.")
    mapping = mapping_of(batch)
    checker = RowChecker.for_import(mapping, batch.source, now or utcnow())
    earlier, unstored, counted = EarlierPeople(), _unstored_ids(), Counts()
    number = 0
    try:
        while (chunk := db.session.get(ImportChunk, (batch_id, number))) is not None:
            rows = [checker.check(n, cells) for n, cells in _piece_rows(chunk)]
            db.session.expunge(chunk)
            plan = _decide(rows, People(earlier), unstored)
            for outcome in plan.outcomes:
                _count(counted, outcome.kind)
            earlier.add(_started(plan))
            number += 1
    finally:
        earlier.close()
    db.session.rollback()  # the reads' snapshot ends before the write below
    with write_transaction():
        batch = db.session.get_one(ImportBatch, batch_id)
        if batch.mapping == mapping.to_json() and batch.status in ("uploaded", "checked"):
            batch.status = "checked"
            batch.checked_at = now or utcnow()
            batch.check_new, batch.check_joined = counted.new, counted.joined
            batch.check_possible, batch.check_refused = counted.possible, counted.refused
        audit.record(
            "import_checked",
            actor_email=None if _signed_in() else "system",
            detail=f"batch {batch_id}: {counted.line()}",
        )
    return counted


def _started(plan: _Plan) -> list[Candidate]:
    """The people a piece starts (its new leads), as later pieces look them up."""
    new = {unstored_id for unstored_id, _ in plan.new_leads}
    first: dict[int, CheckedRow] = {}
    for row, target in plan.targets:
        if target in new:
            first.setdefault(target, row)
    return [Candidate(lead_id, row.email_key, row.digits) for lead_id, row in first.items()]


def _count(counted: Counts, kind: str) -> None:
    if kind == "new":
        counted.new += 1
    elif kind == "joined":
        counted.joined += 1
    elif kind == "possible":
        counted.possible += 1
    else:
        counted.refused += 1


def _signed_in() -> bool:
    from flask import has_request_context
    from flask_login import current_user

    return has_request_context() and bool(current_user.is_authenticated)


# --- the import --------------------------------------------------------------------------------


def start(batch_id: int, actor: StaffUser | None, *, now: datetime | None = None) -> None:
    """Begin importing (the pieces are then taken by :func:`run_steps`).

    :raise ImportStateError: when it already started, or its mapping can't import anything.
    """
    with write_transaction():
        batch = locked_batch(batch_id)
        if batch.status not in ("uploaded", "checked"):
            raise ImportStateError("This import has already started.")
        problems = mapping_of(batch).check()
        if problems:
            raise ImportStateError(" ".join(problems))
        batch.status = "running"
        batch.started_at = now or utcnow()
        batch.started_by_id = actor.id if actor else None
        audit.record(
            "import_started",
            actor=actor,
            actor_email=None if actor else "system",
            detail=f"batch {batch.id}: {batch.total_rows} rows from {batch.filename[:200]}",
        )


def locked_batch(batch_id: int) -> ImportBatch:
    """The batch, its row locked on PostgreSQL (SQLite's write transaction locks everything)."""
    query = select(ImportBatch).where(ImportBatch.id == batch_id).with_for_update()
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()


def run_steps(batch_id: int, *, seconds: float, now: Callable[[], datetime] = utcnow) -> bool:
    """Import pieces of a running batch for about ``seconds`` (at least one piece); True when
    the batch is finished (or not running: undone meanwhile)."""
    started = time.monotonic()
    batch = db.session.get_one(ImportBatch, batch_id)
    checker = RowChecker.for_import(mapping_of(batch), batch.source, now())
    while True:
        with write_transaction():
            batch = locked_batch(batch_id)
            if batch.status != "running":
                return True
            moment = now()
            checker.now = moment
            chunk = db.session.get(ImportChunk, (batch_id, batch.next_chunk))
            if chunk is None:
                _finish(batch, moment)
                return True
            _import_piece(batch, chunk, checker, moment)
        if time.monotonic() - started >= seconds:
            return False


def run_all(batch_id: int, *, progress: Callable[[ImportBatch], None] | None = None) -> None:
    """Import every remaining piece (the command line's way; each piece still commits alone)."""
    while not run_steps(batch_id, seconds=2.0):
        if progress is not None:
            progress(db.session.get_one(ImportBatch, batch_id))


def _finish(batch: ImportBatch, now: datetime) -> None:
    batch.status = "done"
    batch.finished_at = now
    counted = Counts(batch.new_leads, batch.joined, batch.possible_duplicates, batch.refused)
    actor = db.session.get(StaffUser, batch.started_by_id) if batch.started_by_id else None
    audit.record(
        "import_finished",
        actor=actor,
        actor_email=None if actor else "system",
        detail=f"batch {batch.id}: {counted.line()}",
    )


def _import_piece(
    batch: ImportBatch, chunk: ImportChunk, checker: RowChecker, now: datetime
) -> None:
    """One piece's rows stored, the piece cut down to its refused rows, the batch moved on."""
    rows = [checker.check(number, cells) for number, cells in _piece_rows(chunk)]
    valid = [row for row in rows if not row.refused]
    lock_people([key for row in valid for key in (row.email_key, row.digits) if key])
    plan = _decide(rows, People(), _unstored_ids())
    lead_ids = _insert_leads(batch, plan, now)
    inquiry_ids = _insert_inquiries(batch, plan, lead_ids)
    _insert_events(batch, plan, lead_ids, inquiry_ids, now)
    _join_stored(plan, lead_ids, now)
    derived.refresh_messages(
        set(lead_ids.values()) | {t for _, t in plan.targets if t < UNSTORED_FROM}
    )
    refused = [[row.number, row.cells] for row in rows if row.refused]
    chunk.rows = len(refused)
    chunk.cells = json.dumps(refused, ensure_ascii=False)
    counted = Counts()
    for outcome in plan.outcomes:
        _count(counted, outcome.kind)
    batch.next_chunk += 1
    batch.rows_done += len(rows)
    batch.new_leads += counted.new
    batch.joined += counted.joined
    batch.possible_duplicates += counted.possible
    batch.refused += counted.refused
    batch.last_step_at = now


def _insert_leads(batch: ImportBatch, plan: _Plan, now: datetime) -> dict[int, int]:
    """The new leads, each with every inquiry of the file counted; unstored id → stored id."""
    if not plan.new_leads:
        return {}
    their_rows: dict[int, list[CheckedRow]] = defaultdict(list)
    for row, target in plan.targets:
        their_rows[target].append(row)
    order = [unstored_id for unstored_id, _ in plan.new_leads]
    marks = dict(plan.new_leads)
    values = []
    counts: Counter[tuple[str, str, int]] = Counter()
    for unstored_id in order:
        rows = their_rows[unstored_id]
        first, marked = rows[0], marks[unstored_id]
        created = [row.created_at or now for row in rows]
        values.append(
            {
                "created_at": min(created),
                "updated_at": now,
                "name": first.name,
                "name_key": normalise.fold(first.name),
                "email": first.email,
                "email_key": first.email_key,
                "phone": first.phone,
                "phone_digits": first.digits,
                "status": first.status,
                "lost_reason": first.lost_reason,
                "owner_id": first.owner_id,
                "condition_slug": first.condition_slug,
                "source": first.source,
                "first_inquiry_at": min(created),
                "last_inquiry_at": max(created),
                "last_activity_at": max(created),
                "inquiry_count": len(rows),
                "attempts": 0,
                "furthest_stage": stage_rank(first.status) or 0,
                "possible_duplicate_of_id": marked if marked and marked < UNSTORED_FROM else None,
                "import_batch_id": batch.id,
                **facts.first_touch(first.utm.get("utm_campaign"), None, None),
            }
        )
        counts[(first.status, first.condition_slug, first.owner_id or 0)] += 1
    connection = db.session.connection()
    before = connection.execute(_LAST_LEAD).scalar() or 0
    with sqlite_trigger_set_aside(connection, "leads_fts_after_insert") as set_aside:
        connection.execute(_INSERT_LEADS, values)
        if set_aside:
            connection.execute(_FILL_NAME_SEARCH, {"batch": batch.id, "before": before})
    # A piece's new leads differ in (email key, phone): a row agreeing with one joins it. Ids
    # handed out now are above any id seen before, and the batch's pieces go one at a time.
    inserted = select(Lead.id, Lead.email_key, Lead.phone_digits).where(
        Lead.import_batch_id == batch.id, Lead.id > before
    )
    by_keys = {(email, digits): lead_id for lead_id, email, digits in connection.execute(inserted)}
    firsts = {unstored_id: their_rows[unstored_id][0] for unstored_id in order}
    lead_ids = {
        unstored_id: by_keys[(first.email_key, first.digits)]
        for unstored_id, first in firsts.items()
    }
    marked_later = [
        {"marked_id": lead_ids[unstored_id], "other_id": lead_ids[marked]}
        for unstored_id, marked in marks.items()
        if marked is not None and marked >= UNSTORED_FROM
    ]
    if marked_later:
        connection.execute(_MARK_LEADS, marked_later)
    connection.execute(
        _ADD_COUNTS,
        [
            {"status": status, "condition": condition, "owner": owner, "leads": leads}
            for (status, condition, owner), leads in sorted(counts.items())
        ],
    )
    return lead_ids


@contextmanager
def sqlite_trigger_set_aside(connection: Connection, name: str) -> Iterator[bool]:
    """On SQLite, drop a trigger keeping the name search (clinic.leads.derived lists them) for
    the block, which does its work for all its rows in one statement, then put it back; yields
    whether it did (PostgreSQL's search has no trigger). FTS5 writes each trigger's row out on
    its own, slower and slower as the index grows, where one statement for a piece's rows
    costs little. Done inside the piece's transaction, which holds SQLite's write lock: no
    other write sees the trigger missing, and a failure puts it back with everything else."""
    if connection.dialect.name != "sqlite":
        yield False
        return
    trigger = connection.execute(_TRIGGER_SQL, {"name": name}).scalar_one()
    connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield True
    connection.exec_driver_sql(trigger)


def _lead_of(target: int, lead_ids: dict[int, int]) -> int:
    return lead_ids.get(target, target)


def _insert_inquiries(batch: ImportBatch, plan: _Plan, lead_ids: dict[int, int]) -> list[int]:
    if not plan.targets:
        return []
    page = f"Imported from {batch.filename} (batch #{batch.id})"[:500]
    values = [
        {
            "lead_id": _lead_of(target, lead_ids),
            "created_at": row.created_at,
            "idempotency_key": _idempotency_key(batch, row),
            "reference": None,  # a reference is what a patient quotes from the thanks page
            "name": row.name,
            "email": row.email,
            "phone": row.phone,
            "condition_slug": row.condition_slug,
            "message": row.message,
            "consent_version": IMPORTED_CONSENT,
            "consent_at": row.created_at,
            "consent_page": page,
            "sms_consent": False,
            "channel": CHANNEL,
            "import_batch_id": batch.id,
            **row.utm,
        }
        for row, target in plan.targets
    ]
    connection = db.session.connection()
    before = connection.execute(_LAST_INQUIRY).scalar() or 0
    connection.execute(_INSERT_INQUIRIES, values)
    inserted = select(Inquiry.idempotency_key, Inquiry.id).where(
        Inquiry.import_batch_id == batch.id, Inquiry.id > before
    )
    by_key: dict[str, int] = dict(connection.execute(inserted).all())
    return [by_key[_idempotency_key(batch, row)] for row, _ in plan.targets]


def _idempotency_key(batch: ImportBatch, row: CheckedRow) -> str:
    return f"import:{batch.id}:{row.number}"


def _insert_events(
    batch: ImportBatch,
    plan: _Plan,
    lead_ids: dict[int, int],
    inquiry_ids: list[int],
    now: datetime,
) -> None:
    """Per inquiry its line on the timeline at the time it was sent, the import's line, and
    the row's notes, all naming the inquiry so undo finds them."""
    events = []
    for (row, target), inquiry_id in zip(plan.targets, inquiry_ids, strict=True):
        lead_id = _lead_of(target, lead_ids)
        new_lead = target >= UNSTORED_FROM
        what = "Imported" if new_lead else "Inquiry imported"
        base = {"lead_id": lead_id, "inquiry_id": inquiry_id}
        events.append(
            {
                **base,
                "created_at": row.created_at,
                "actor_id": None,
                "kind": "inquiry",
                "body": None,
            }
        )
        events.append(
            {
                **base,
                "created_at": now,
                "actor_id": batch.started_by_id,
                "kind": "import",
                "body": f"{what} from {batch.filename} (batch #{batch.id})",
            }
        )
        if row.notes:
            events.append(
                {
                    **base,
                    "created_at": now,
                    "actor_id": batch.started_by_id,
                    "kind": "note",
                    "body": row.notes,
                }
            )
    if events:
        db.session.connection().execute(_INSERT_EVENTS, events)


def _join_stored(plan: _Plan, lead_ids: dict[int, int], now: datetime) -> None:
    """Stored leads rows joined: their inquiries counted, the latest time kept."""
    added: Counter[int] = Counter()
    latest: dict[int, datetime] = {}
    for row, target in plan.targets:
        if target >= UNSTORED_FROM:
            continue
        added[target] += 1
        created = row.created_at or now
        latest[target] = max(latest.get(target, created), created)
    if added:
        db.session.connection().execute(
            _JOIN_LEADS,
            [
                {"joined_id": lead_id, "added": n, "latest": latest[lead_id], "now": now}
                for lead_id, n in sorted(added.items())
            ],
        )


# --- refused rows ----------------------------------------------------------------------------


def refused_rows(batch_id: int, *, now: datetime | None = None) -> Iterator[CheckedRow]:
    """The batch's refused rows with their problems, checked again from the file as kept
    (refusal depends on the row alone)."""
    batch = db.session.get_one(ImportBatch, batch_id)
    checker = RowChecker.for_import(mapping_of(batch), batch.source, now or utcnow())
    for number, cells in batch_rows(batch_id):
        row = checker.check(number, cells)
        if row.refused:
            yield row


def refused_csv_lines(batch_id: int, rows: Iterable[CheckedRow] | None = None) -> Iterator[str]:
    """The refused rows as CSV for a spreadsheet (BOM, so Excel reads UTF-8): the file's own
    columns, then the row's number in the file and the reason. Cells that could start a
    formula get an apostrophe, which the import takes off again when the file comes back."""
    batch = db.session.get_one(ImportBatch, batch_id)
    headers = headers_of(batch)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*headers, "Row", "Reason"])
    yield "\ufeff" + buffer.getvalue()
    for row in rows if rows is not None else refused_rows(batch_id):
        buffer.seek(0)
        buffer.truncate()
        cells = (row.cells + [""] * len(headers))[: len(headers)]
        writer.writerow([*(neutralise_formula(cell) for cell in cells), row.number, row.reasons()])
        yield buffer.getvalue()


def discard(batch_id: int, actor: StaffUser | None) -> None:
    """Forget an upload that was never imported (its rows with it).

    :raise ImportStateError: once the import has started (undo it instead).
    """
    with write_transaction():
        batch = locked_batch(batch_id)
        if batch.status not in ("uploaded", "checked"):
            raise ImportStateError("This import has started: undo it instead.")
        db.session.execute(delete(ImportChunk).where(ImportChunk.batch_id == batch_id))
        db.session.delete(batch)
        audit.record(
            "import_discarded",
            actor=actor,
            actor_email=None if actor else "system",
            detail=f"batch {batch_id}: {batch.filename[:200]}",
        )
