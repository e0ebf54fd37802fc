"""Medians and 90th percentiles computed by the database, identically on SQLite and PostgreSQL.

SQLite has no percentile function, so both databases number the values with window functions
and return only the one or two rows around each percentile's position; Python interpolates
between them exactly as PostgreSQL's ``percentile_cont`` would. No value list leaves the database.
"""

from __future__ import annotations

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


def spreads(rows: Subquery, *, grouped: bool = True) -> dict[object, Spread]:
    """Median and p90 of ``rows.c.v`` per ``rows.c.grp`` (or overall when not grouped).

    ``rows`` is a subquery with a numeric column ``v`` (NULLs are skipped) and, when grouped,
    a column ``grp``. The overall result is keyed by None.
    """
    group = rows.c.grp if grouped else literal(None)
    partition = {"partition_by": rows.c.grp} if grouped else {}
    numbered = (
        select(
            group.label("grp"),
            rows.c.v.label("v"),
            func.row_number().over(order_by=rows.c.v, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .where(rows.c.v.is_not(None))
        .subquery()
    )
    wanted = []
    for percent in PERCENTS:
        low = (numbered.c.n - 1) * percent // 100
        wanted += [numbered.c.rn - 1 == low, numbered.c.rn - 1 == low + 1]
    picked = db.session.execute(
        select(numbered.c.grp, numbered.c.n, numbered.c.rn, numbered.c.v).where(or_(*wanted))
    ).all()
    by_group: dict[object, tuple[int, dict[int, float]]] = {}
    for key, count, number, value in picked:
        by_group.setdefault(key, (count, {}))[1][number] = value
    return {
        key: Spread(
            count=count,
            median=_interpolate(values, count, 50),
            p90=_interpolate(values, count, 90),
        )
        for key, (count, values) in by_group.items()
    }
