"""Filling a database with demo leads fast: rows generated in worker processes, written in bulk.

SQLite gets ``executemany`` on the raw connection, PostgreSQL ``COPY … FROM STDIN``; the ORM
would spend most of the time building and flushing objects. Batches are committed one by one,
so memory and SQLite's write-ahead log stay small; a run that is interrupted leaves the batches
written so far (seed a fresh database again).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter

from flask import current_app
from psycopg import sql
from sqlalchemy import Table, func, inspect, select
from sqlalchemy.dialects import sqlite

from clinic import clock
from clinic.database import refresh_statistics
from clinic.demo.generate import (
    APPOINTMENT_COLUMNS,
    BATCH_SIZE,
    EVENT_COLUMNS,
    INQUIRY_COLUMNS,
    LEAD_COLUMNS,
    Batch,
    DemoGenerator,
    DemoPlan,
)
from clinic.demo.team import ensure_coordinators
from clinic.demo.texts import PHONE_CAPACITY
from clinic.demo.today import bring_consultations_to_today
from clinic.extensions import db
from clinic.leads import derived
from clinic.models import Appointment, Inquiry, Lead, LeadEvent

_SQLITE = sqlite.dialect(paramstyle="qmark")
# Generated batches waiting to be written, per worker: enough to keep the writer busy without
# holding much of a million rows in memory.
QUEUE_PER_WORKER = 2


class SeedRefused(RuntimeError):
    """Seeding would be unsafe or can't work here; the message says why and what to do."""


@dataclass
class SeedReport:
    leads: int
    inquiries: int
    events: int
    appointments: int
    coordinators: tuple[str, ...]
    seconds: float


def check_can_seed(count: int) -> None:
    """:raise SeedRefused: in production, on an unmigrated or non-empty database, or too big."""
    if current_app.config.get("CLINIC_ENV") == "production":
        raise SeedRefused("Demo data is never written in production (CLINIC_CONFIG=production).")
    if not inspect(db.engine).has_table(Lead.__tablename__):
        raise SeedRefused(
            "The database has no tables yet: run `make run` once (or "
            "`.venv/bin/flask --app wsgi db upgrade`) first."
        )
    existing = db.session.execute(select(func.count()).select_from(Lead)).scalar_one()
    db.session.rollback()
    if existing:
        noun = "lead" if existing == 1 else "leads"
        raise SeedRefused(
            f"The database already holds {existing:,} {noun}, so no demo data was written.\n"
            f"{how_to_get_an_empty_database()}"
        )
    if not 1 <= count <= PHONE_CAPACITY:
        raise SeedRefused(f"Choose between 1 and {PHONE_CAPACITY:,} leads.")


def how_to_get_an_empty_database() -> str:
    """Where to seed instead, for the database this app uses."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return (
            f"For an empty one: stop the server, delete {url.database} (and its -wal and -shm "
            "files), run `make run` again (a new database, and a new demo admin), then seed. "
            "Or keep it and try a second one: `export DATABASE_URL=sqlite:////tmp/clinic-demo.db`"
            ", then `make run` and seed."
        )
    return (
        "For an empty one: create a new database, point DATABASE_URL at it, and run "
        "`make run` (or `.venv/bin/flask --app wsgi db upgrade`) before seeding it."
    )


def seed_demo(
    count: int,
    *,
    seed: int,
    now: datetime,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Write ``count`` demo leads with their inquiries and timelines; same seed and ``now``,
    same rows. ``progress`` is called with the number of leads written by each batch.

    :raise SeedRefused: see :func:`check_can_seed`.
    """
    started = time.monotonic()
    check_can_seed(count)
    coordinators = ensure_coordinators()
    postgres = db.engine.dialect.name == "postgresql"
    plan = DemoPlan(
        seed=seed,
        total=count,
        now=now,
        coordinators=coordinators,
        timezone=clock.zone().key,
        calendar=clock.business_calendar(),
        stamp_suffix="+00" if postgres else "",
    )
    firsts = [_next_id(model) for model, _ in _TABLES]
    plan = replace(plan, first_lead_id=firsts[0])
    inquiry_id, event_id = firsts[1], firsts[2]
    shapes = [_RowShape(model.__table__, columns) for model, columns in _TABLES]
    appointment_id = firsts[3]
    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        writer = (_PostgresWriter if postgres else _SQLiteWriter)(raw)
        with writer.loading([shape.table.name for shape in shapes]):
            for batch, size in _batches(plan, workers):
                inquiries, events, appointments = batch.renumbered(
                    inquiry_id, event_id, appointment_id
                )
                inquiry_id += len(inquiries)
                event_id += len(events)
                appointment_id += len(appointments)
                tables = (batch.leads, inquiries, events, appointments)
                for shape, rows in zip(shapes, tables, strict=True):
                    writer.insert(shape.table, shape.columns, shape.rows(rows))
                writer.batch_done()
                if progress:
                    progress(size)
    finally:
        raw.close()
    if not postgres:
        # Planner statistics of every row, so the indexes are chosen well from the start (the
        # PostgreSQL writer vacuums and analyses what it loaded). A sample misjudges how many
        # leads a condition or an owner picks out, and the reports then choose slower plans.
        refresh_statistics()
    bring_consultations_to_today(coordinators, now)
    return SeedReport(
        leads=count,
        inquiries=inquiry_id - firsts[1],
        events=event_id - firsts[2],
        appointments=appointment_id - firsts[3],
        coordinators=tuple(coordinator.name for coordinator in coordinators),
        seconds=time.monotonic() - started,
    )


_TABLES = (
    (Lead, LEAD_COLUMNS),
    (Inquiry, INQUIRY_COLUMNS),
    (LeadEvent, EVENT_COLUMNS),
    (Appointment, APPOINTMENT_COLUMNS),
)


# Each batch invents its consultations on its own, so two may give one coordinator the same
# slot; the database allows one booked consultation per host and start (patients book against
# it). All but the first of each such pair are left with nobody chosen to hold them, and their
# booking's timeline entry loses "with <name>" to match.
_DOUBLE_BOOKED = (
    "CREATE TEMPORARY TABLE demo_double_booked AS"
    " SELECT a.id, a.lead_id, a.created_at, s.name AS host_name"
    " FROM appointments a JOIN staff_users s ON s.id = a.host_id"
    " WHERE a.status = 'booked' AND a.id NOT IN ("
    "  SELECT min(id) FROM appointments WHERE status = 'booked' AND host_id IS NOT NULL"
    "  GROUP BY host_id, starts_at)",
    "UPDATE lead_events SET body = replace(body, ', with ' || d.host_name, '')"
    " FROM demo_double_booked d"
    " WHERE lead_events.lead_id = d.lead_id AND lead_events.created_at = d.created_at"
    " AND lead_events.kind = 'appointment' AND lead_events.body LIKE 'Consultation booked:%'",
    "UPDATE appointments SET host_id = NULL WHERE id IN (SELECT id FROM demo_double_booked)",
    "DROP TABLE demo_double_booked",
)


def unbook_double_bookings(execute: Callable[[str], object]) -> None:
    for statement in _DOUBLE_BOOKED:
        execute(statement)


def _next_id(model) -> int:
    return (db.session.execute(select(func.max(model.id))).scalar_one() or 0) + 1


# --- generating in parallel ---------------------------------------------------------------

_worker_generator: DemoGenerator | None = None


def _start_worker(plan: DemoPlan) -> None:
    global _worker_generator
    _worker_generator = DemoGenerator(plan)


def _generate(spec: tuple[int, int, int]) -> Batch:
    number, first_index, size = spec
    assert _worker_generator is not None
    return _worker_generator.batch(number, first_index, size)


def _specs(total: int) -> Iterator[tuple[int, int, int]]:
    for number, first in enumerate(range(0, total, BATCH_SIZE)):
        yield number, first, min(BATCH_SIZE, total - first)


def _batches(plan: DemoPlan, workers: int | None) -> Iterator[tuple[Batch, int]]:
    """Batches in order, generated by ``workers`` processes (0: in this process) while this
    one writes; results are collected in submission order, so rows don't depend on timing."""
    specs = list(_specs(plan.total))
    if workers is None:
        workers = min(len(specs) - 1, (os.cpu_count() or 1))
    if workers <= 0:
        generator = DemoGenerator(plan)
        for number, first, size in specs:
            yield generator.batch(number, first, size), size
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(plan,)) as pool:  # fmt: skip
        pending: deque[tuple[Future, int]] = deque()
        queue = iter(specs)
        for spec in queue:
            pending.append((pool.submit(_generate, spec), spec[2]))
            if len(pending) >= workers * QUEUE_PER_WORKER:
                break
        while pending:
            future, size = pending.popleft()
            spec = next(queue, None)
            if spec is not None:
                pending.append((pool.submit(_generate, spec), spec[2]))
            yield future.result(), size


# --- writing in bulk ----------------------------------------------------------------------


class _RowShape:
    """Fits generated rows to the table as it is, in the table's column order: columns the
    generator doesn't know get their model default (so a new column with a default doesn't
    break seeding), columns it makes that the table lacks are left out."""

    def __init__(self, table: Table, generated: Sequence[str]):
        self.table = table
        self.columns = [column.name for column in table.columns]
        extra = [column for column in table.columns if column.name not in generated]
        self.extra = tuple(_default(column) for column in extra)
        # Positions in (generated row + defaults) of each table column, in table order.
        positions = {name: index for index, name in enumerate(generated)}
        positions.update({column.name: len(generated) + n for n, column in enumerate(extra)})
        order = [positions[name] for name in self.columns]
        self.pick = None if order == list(range(len(generated))) else itemgetter(*order)

    def rows(self, rows: list[tuple]) -> list[tuple]:
        if self.extra:
            rows = [row + self.extra for row in rows]
        if self.pick is not None:
            rows = [self.pick(row) for row in rows]
        return rows


def _default(column):
    default = column.default
    if default is not None and default.is_scalar:
        return default.arg
    if column.nullable:
        return None
    raise SeedRefused(
        f"The demo seeder can't fill {column.table.name}.{column.name}: "
        "teach clinic/demo/generate.py about it."
    )


class _SQLiteWriter:
    """Batches committed one by one (SQLite's write-ahead log would otherwise grow to the size
    of the whole load), with the trigram index's triggers and the secondary indexes set aside
    meanwhile. Nothing else may write to the database while it loads."""

    def __init__(self, raw):
        self.connection = raw.driver_connection

    @contextmanager
    def loading(self, tables: list[str]) -> Iterator[None]:
        self.connection.execute("PRAGMA cache_size = -1048576")
        # Invented rows erase nobody: no need to zero the pages the search indexes' merges free
        # as they are built (clinic.database turns it on for every connection).
        self.connection.execute("PRAGMA secure_delete = OFF")
        try:
            with (
                derived.sqlite_triggers_set_aside(self.connection.cursor()),
                self._indexes_set_aside(tables),
            ):
                self.connection.execute("BEGIN IMMEDIATE")
                yield
                unbook_double_bookings(self.connection.execute)
                self.connection.execute("COMMIT")
        finally:
            self.connection.execute("PRAGMA cache_size = -2000")
            self.connection.execute("PRAGMA secure_delete = ON")

    @contextmanager
    def _indexes_set_aside(self, tables: list[str]) -> Iterator[None]:
        """Drop the tables' secondary indexes for the load and build them again at the end
        (sorting a million keys once beats inserting them one by one in random order) — also
        when the load fails part-way."""
        found = self.connection.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        saved = [(name, sql) for name, table, sql in found if table in tables]
        self.connection.execute("BEGIN IMMEDIATE")
        for name, _ in saved:
            self.connection.execute(f'DROP INDEX "{name}"')
        self.connection.execute("COMMIT")
        try:
            yield
        finally:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            self.connection.execute("BEGIN IMMEDIATE")
            for _, sql in saved:
                self.connection.execute(sql)
            self.connection.execute("COMMIT")

    def insert(self, table: Table, columns: list[str], rows: list[tuple]) -> None:
        statement = table.insert().compile(dialect=_SQLITE, column_keys=columns)
        self.connection.executemany(str(statement), rows)

    def batch_done(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.execute("BEGIN IMMEDIATE")


class _PostgresWriter:
    """One transaction for the whole load: secondary indexes are dropped first and built again
    at the end (much faster than keeping them up to date row by row), and a failure leaves the
    database exactly as it was. A superuser also skips the foreign keys' triggers; the rows are
    consistent by construction (tests check it). The derived tables are rebuilt before the
    commit."""

    def __init__(self, raw):
        self.connection = raw.driver_connection
        self.cursor = self.connection.cursor()

    @contextmanager
    def loading(self, tables: list[str]) -> Iterator[None]:
        execute = self.cursor.execute
        try:
            execute("SET LOCAL synchronous_commit = off")
            execute("SET LOCAL maintenance_work_mem = '256MB'")
            if execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                execute("SET LOCAL session_replication_role = replica")
            indexes = self._drop_indexes([*tables, "search_messages"])
            yield
            unbook_double_bookings(execute)
            derived.rebuild_postgres(self.cursor)
            for definition in indexes:
                execute(definition)
            for table in tables:
                execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                        "(SELECT max(id) FROM {table}))"
                    ).format(name=sql.Literal(table), table=sql.Identifier(table))
                )
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        # VACUUM, not just ANALYZE: it marks the freshly written pages all-visible, without which
        # every index-only scan (the reports' covering indexes, the inbox's) still reads the
        # table, and a server with autovacuum off (or not yet round to it) would never do it.
        # Outside a transaction: VACUUM cannot run in one.
        analysed = [*tables, "lead_counts", "search_messages"]
        self.connection.autocommit = True
        try:
            execute(
                sql.SQL("VACUUM (ANALYZE) {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, analysed))
                )
            )
        finally:
            self.connection.autocommit = False

    def _drop_indexes(self, tables: list[str]) -> list[str]:
        """Drop the tables' indexes that back no constraint; returns how to build them again."""
        found = self.cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid::regclass::text = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            (tables,),
        ).fetchall()
        for name, _ in found:
            self.cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        return [definition for _, definition in found]

    def insert(self, table: Table, columns: list[str], rows: list[tuple]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def batch_done(self) -> None:
        """Everything is committed at the end."""
