"""Medians and 90th percentiles computed by the database, identically on SQLite and PostgreSQL.

SQLite has no percentile function, so both databases number the values with a window function
(one sort) and return only the one or two rows around each percentile's position; Python
interpolates between them exactly as PostgreSQL's ``percentile_cont`` would. No value list
leaves the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Subquery, func, literal, or_, select

from clinic.extensions import db

PERCENTS = (50, 90)


@dataclass(frozen=True)
class Spread:
    """How many values there were, and their median and 90th percentile (None when empty)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


def _interpolate(values: dict[int, float], count: int, percent: int) -> float:
    position = (count - 1) * percent
    low, remainder = divmod(position, 100)
    value = values[low + 1]
    if remainder:
        value += (values[low + 2] - value) * remainder / 100
    return float(value)


def _ranks(count: int) -> set[int]:
    """Positions (1-based) of the values each percentile of ``count`` values is read from."""
    found = set()
    for percent in PERCENTS:
        low = (count - 1) * percent // 100
        found |= {low + 1, low + 2}
    return {rank for rank in found if rank <= count}


def spreads(
    rows: Subquery, *, grouped: bool = True, counts: Mapping[object, int] | None = None
) -> dict[object, Spread]:
    """Median and p90 of ``rows.c.v`` per ``rows.c.grp`` (or overall when not grouped).

    ``rows`` is a subquery with a numeric column ``v`` (NULLs are skipped) and, when grouped,
    a column ``grp``. The overall result is keyed by None. ``counts`` — the number of non-NULL
    values per group, when the caller has counted them anyway — saves the database counting
    each partition; either way the values are sorted once.
    """
    group = rows.c.grp if grouped else literal(None)
    window = {"order_by": rows.c.v, **({"partition_by": rows.c.grp} if grouped else {})}
    columns = [
        group.label("grp"),
        rows.c.v.label("v"),
        func.row_number().over(**window).label("rn"),
    ]
    if counts is None:
        # The same window as the numbering (one sort), framed over the whole partition.
        columns.append(func.count().over(**window, rows=(None, None)).label("n"))
    numbered = select(*columns).where(rows.c.v.is_not(None)).subquery()
    if counts is None:
        wanted = []
        for percent in PERCENTS:
            low = (numbered.c.n - 1) * percent // 100
            wanted += [numbered.c.rn - 1 == low, numbered.c.rn - 1 == low + 1]
        query = select(numbered.c.grp, numbered.c.rn, numbered.c.v, numbered.c.n).where(
            or_(*wanted)
        )
    else:
        ranks = sorted(set().union(*(_ranks(n) for n in counts.values() if n)))
        if not ranks:
            return {}
        query = select(numbered.c.grp, numbered.c.rn, numbered.c.v).where(numbered.c.rn.in_(ranks))
    by_group: dict[object, tuple[int, dict[int, float]]] = {}
    for key, number, value, *total in db.session.execute(query):
        count = total[0] if total else counts[key]
        by_group.setdefault(key, (count, {}))[1][number] = value
    return {
        key: Spread(
            count=count,
            median=_interpolate(values, count, 50),
            p90=_interpolate(values, count, 90),
        )
        for key, (count, values) in by_group.items()
    }
