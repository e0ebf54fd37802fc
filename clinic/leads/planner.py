"""A hint for SQLite's query planner, which can't tell a filter that keeps most rows from one
that keeps few.

The inbox's views (overdue, gone quiet) keep a large share of the open leads. Given
``status IN (…)`` SQLite reads each status's index and sorts the result; walking the
newest-first index and keeping the matching rows fills a page sooner, with no sort.
:class:`broad` marks such a condition; PostgreSQL, whose statistics already say so, gets the
condition unchanged.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class broad(FunctionElement):
    """A condition most rows meet: not worth driving the query from an index."""

    type = Boolean()
    name = "broad"
    inherit_cache = True

    def __init__(self, condition: ColumnElement[bool]):
        super().__init__(condition)


@compiles(broad, "sqlite")
def _broad_sqlite(element, compiler, **kw):
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.9)"


@compiles(broad)
def _broad_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)
