"""SQL expressions the domain spells differently on SQLite and PostgreSQL, compiled per
database: a time difference, and hints for SQLite's query planner, which can't tell a filter
that keeps most rows from one that keeps few.

The inbox's views (overdue, gone quiet) keep a large share of the open leads. Given
``status IN (…)`` SQLite reads each status's index and sorts the result; walking the
newest-first index and keeping the matching rows fills a page sooner, with no sort.
:class:`broad` marks such a condition; PostgreSQL, whose statistics already say so, gets the
condition unchanged.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Boolean, ColumnElement, ColumnExpressionArgument, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_T = TypeVar("_T")


class seconds_between(FunctionElement[float]):
    """Seconds from the first timestamp to the second, as a float."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class unindexed(FunctionElement[_T]):
    """The column itself, which SQLite's planner must not read in an index's order (SQLite's
    unary ``+``). Grouping a year of leads by condition, SQLite would otherwise walk the
    whole (condition, created_at) index and fetch each lead from the table to save one sort;
    reading the period from ``ix_leads_report`` alone and sorting is faster."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnExpressionArgument[_T]):
        super().__init__(column)
        self.type = self.clauses.clauses[0].type


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(unindexed)
def _unindexed_default(element: unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class broad(FunctionElement[bool]):
    """A condition most rows meet: not worth driving the query from an index."""

    type = Boolean()
    name = "broad"
    inherit_cache = True

    def __init__(self, condition: ColumnElement[bool]):
        super().__init__(condition)


@compiles(broad, "sqlite")
def _broad_sqlite(element: broad, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.9)"


@compiles(broad)
def _broad_default(element: broad, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)
