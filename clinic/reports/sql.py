"""The report queries' SQL that SQLite and PostgreSQL spell differently, compiled per database
(the domain's own expressions are in :mod:`clinic.leads.sql`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Select, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_hour(FunctionElement):
    """A timestamp truncated to its UTC hour: text 'YYYY-MM-DD HH' on SQLite (a cheap prefix of
    the stored text), a timestamp on PostgreSQL (``date_bin``, cheaper per row than
    formatting it); :func:`parse_utc_hour` reads either."""

    name = "utc_hour"
    inherit_cache = True


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element, compiler, **kw):
    # SQLite keeps timestamps as naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"date_bin('1 hour', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def parse_utc_hour(value: str | datetime) -> datetime:
    """The start of a :class:`utc_hour` bucket as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    # fromisoformat reads 'YYYY-MM-DD HH' in C, far faster than strptime over years of hours.
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_from_hint(compiler, table, hint: str) -> str:
    return hint


# SQLAlchemy renders a table hint (Select.with_hint) only where the dialect's compiler spells
# one, and its SQLite compiler spells none; SQLite's one table hint is INDEXED BY.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign]


def in_index(statement: Select, table, index: str) -> Select:
    """``statement`` reading ``table`` through ``index`` on SQLite (``INDEXED BY``; nothing
    elsewhere). For the report queries that read values in an index's order: SQLite's planner
    judges an index that seeks the period narrower than one that holds each group's values in
    order, and would then fetch the values from the table and sort them. SQLite refuses the
    statement ("no query solution") rather than read another index, so a test finds a query
    that the index cannot serve."""
    return statement.with_hint(table, f"INDEXED BY {index}", "sqlite")


# A year of leads is a few hundred thousand rows to sort for a percentile: PostgreSQL's default
# 4 MB of sort memory sends them to disk, and its JIT compiler spends longer compiling these
# one-off statements than it saves. Only the report's own transaction is changed.
POSTGRES_REPORT_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


def tune_for_reports(session) -> None:
    """Give the current transaction the settings report queries want (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_REPORT_SETTINGS:
            session.execute(text(statement))


@contextmanager
def grouped_in_index_order(session, wanted: bool = True) -> Iterator[None]:
    """Within the block, PostgreSQL groups by walking an index already in the grouping's order
    instead of hashing (``enable_hashagg`` off for the transaction, then back to the session's
    own setting). For the funnel over a long period the ordered walk of ix_leads_funnel beats
    hashing every lead by six columns; over a short one the hash wins, hence ``wanted``."""
    if not wanted or session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_hashagg = off"))
    yield
    # Not reached when the block fails: the rollback that follows undoes SET LOCAL anyway.
    session.execute(text("RESET enable_hashagg"))
