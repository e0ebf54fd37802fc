"""Medians and 90th percentiles of report values: exact, and identical on SQLite and PostgreSQL.

PostgreSQL computes them itself with ``percentile_cont`` (one in-memory sort per group, in the
same pass that counts the group); per group and overall are two statements, so that over a long
period each can read its values already in order from an index of migration
0012_postgres_report_indexes, leaving the sort nothing to do. SQLite has no percentile
function, and numbering a year of values with a window function makes it sort slowly; reading
the values as plain tuples and sorting them in Python is quicker. Over a long period SQLite
reads them from an index of migration 0015_sqlite_report_order that holds them in order:
each group's whole numbers as one string, which Python parses and sorts in linear time, or one
group's values walked to the two ranks a percentile needs.
Python interpolates between neighbours exactly as ``percentile_cont`` does, so both databases
give the same answer.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Integer, Select, Subquery, func, literal, select
from sqlalchemy.dialects import postgresql

from clinic.extensions import db
from clinic.reports.sql import in_index

PERCENTS = (50, 90)


class _Overall:
    """The key of the all-groups result: distinct from every group, None (unassigned) included."""

    def __repr__(self) -> str:
        return "OVERALL"


OVERALL: Final = _Overall()


@dataclass(frozen=True)
class Spread:
    """One group's values: how many rows it had (``rows``, with or without a value), how many
    had a value (``count``) and were flagged (``flagged``), the median and 90th percentile of
    the values (None when there were none), and how many values were at most each of the
    limits asked for (``at_most``, in their order)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    rows: int = 0
    flagged: int = 0
    at_most: tuple[int, ...] = ()


def percentile(ordered: list[float], percent: int) -> float:
    """``percentile_cont`` of sorted values: interpolated between the two nearest ranks."""
    low, remainder = divmod((len(ordered) - 1) * percent, 100)
    return _between(ordered[low : low + 2], remainder)


def _between(neighbours: Sequence[float], remainder: int) -> float:
    """The value ``remainder`` hundredths of the way from the first neighbour to the second."""
    value = neighbours[0]
    if remainder:
        value += (neighbours[1] - value) * remainder / 100
    return float(value)


def spread_of(
    ordered: list[float], rows: int, flagged: int, limits: Sequence[float] = ()
) -> Spread:
    at_most = tuple(bisect_right(ordered, limit) for limit in limits)
    if not ordered:
        return Spread(rows=rows, flagged=flagged, at_most=at_most)
    median, p90 = (percentile(ordered, percent) for percent in PERCENTS)
    return Spread(len(ordered), median, p90, rows, flagged, at_most)


def spreads(
    rows: Select,
    *,
    grouped: bool = True,
    overall: bool = False,
    limits: Sequence[float] = (),
    index: str | None = None,
) -> dict[object, Spread]:
    """Each group's :class:`Spread` of the ``v`` column of ``rows`` (rows whose ``v`` is NULL
    are counted in ``rows`` only), keyed by the ``grp`` column; with ``overall`` (or when not
    grouped) also the spread of every row, keyed by :data:`OVERALL`. A ``flag`` column, when
    present, is a boolean counted per group into ``flagged``; ``limits`` are counted in the
    same pass, each as the values at most that limit (``at_most``).

    ``index`` names one of SQLite's that holds the values of the same rows in order within
    each group (grouped, the values must be whole numbers); given, over a long period, SQLite
    reads them from it. PostgreSQL picks its own indexes.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return _spreads_in_postgresql(rows.subquery(), grouped, overall, limits)
    if index is None:
        return _spreads_in_python(rows.subquery(), grouped, overall, limits)
    in_order = in_index(rows, rows.get_final_froms()[0], index)
    if not grouped:
        return {OVERALL: _spread_by_rank(rows, in_order, limits)}
    return _spreads_concatenated(in_order.subquery(), overall, limits)


def _spreads_in_postgresql(
    rows: Subquery, grouped: bool, overall: bool, limits: Sequence[float]
) -> dict[object, Spread]:
    flag = rows.c.get("flag")
    measures = [
        func.count(),
        func.count(rows.c.v),
        func.count().filter(flag) if flag is not None else literal(0),
        func.percentile_cont(postgresql.array([p / 100 for p in PERCENTS])).within_group(rows.c.v),
        *(func.count().filter(rows.c.v <= limit) for limit in limits),
    ]
    queries = []
    if grouped:
        queries.append(select(rows.c.grp, literal(0), *measures).group_by(rows.c.grp))
    if overall or not grouped:
        queries.append(select(literal(1), literal(1), *measures).select_from(rows))
    result: dict[object, Spread] = {}
    for query in queries:
        for key, is_overall, total, count, flagged, values, *at_most in db.session.execute(query):
            median, p90 = (float(value) for value in values) if count else (None, None)
            spread = Spread(count, median, p90, total, flagged, tuple(at_most))
            result[OVERALL if is_overall else key] = spread
    return result


def _spreads_in_python(
    rows: Subquery, grouped: bool, overall: bool, limits: Sequence[float]
) -> dict[object, Spread]:
    flag = rows.c.get("flag")
    if not grouped and flag is None:
        return {OVERALL: _spread_in_python(rows, limits)}
    columns = [rows.c.grp if grouped else literal(None), rows.c.v]
    empty: Counter[object] = Counter()  # rows without a value, per group
    flagged: Counter[object] = Counter()
    by_key: dict[object, list[float]] = defaultdict(list)
    result = db.session.connection().execute(
        select(*columns, *([flag] if flag is not None else [])).select_from(rows)
    )
    # Plain tuples from the driver: the grouping key, a number and a flag need no type
    # processing, and making a Row of each of a few hundred thousand cost more than the query.
    with closing(result):
        if flag is None:
            for key, value in result.cursor:
                if value is None:
                    empty[key] += 1
                else:
                    by_key[key].append(value)
        else:
            for key, value, is_flagged in result.cursor:
                if is_flagged:
                    flagged[key] += 1
                if value is None:
                    empty[key] += 1
                else:
                    by_key[key].append(value)
    found = {}
    for key in by_key.keys() | empty.keys():
        ordered = by_key.get(key, [])
        ordered.sort()
        found[key] = spread_of(ordered, len(ordered) + empty[key], flagged[key], limits)
    if not grouped:
        return {OVERALL: found.get(None, spread_of([], 0, 0, limits))}
    if overall:
        every = sorted(value for values in by_key.values() for value in values)
        found[OVERALL] = spread_of(every, len(every) + empty.total(), flagged.total(), limits)
    return found


def _spread_in_python(rows: Subquery, limits: Sequence[float]) -> Spread:
    """One spread of every row: the values alone come back, one-element tuples, which the
    driver makes faster than (key, value) pairs."""
    result = db.session.connection().execute(select(rows.c.v))
    with closing(result):
        values = [value for (value,) in result.cursor]
    ordered = [value for value in values if value is not None]
    ordered.sort()
    return spread_of(ordered, len(values), 0, limits)


def _spreads_concatenated(
    rows: Subquery, overall: bool, limits: Sequence[float]
) -> dict[object, Spread]:
    """Each group's whole numbers as one string, in the order of the index the rows are read
    from: the driver makes one string a group instead of a tuple a value, and
    sorting values that arrive in order takes linear time. The sort is still done, so a value
    out of order costs time, never a wrong answer."""
    flag = rows.c.get("flag")
    query = select(
        rows.c.grp,
        func.count(),
        func.sum(flag, type_=Integer()) if flag is not None else literal(0),
        func.group_concat(rows.c.v),
    ).group_by(rows.c.grp)
    found: dict[object, Spread] = {}
    groups: list[list[int]] = []
    total = flagged_total = 0
    for key, count, flagged, values in db.session.execute(query):
        ordered = list(map(int, values.split(","))) if values else []
        ordered.sort()
        groups.append(ordered)
        found[key] = spread_of(ordered, count, flagged or 0, limits)
        total += count
        flagged_total += flagged or 0
    if overall:
        # The groups' runs, each in order: sorting merges them.
        every = [value for ordered in groups for value in ordered]
        every.sort()
        found[OVERALL] = spread_of(every, total, flagged_total, limits)
    return found


def _spread_by_rank(rows: Select, in_order: Select, limits: Sequence[float]) -> Spread:
    """One spread from a count and a walk per percentile: ``rows`` are counted (and their
    values at most each limit) as the planner sees fit, then the same rows read from an index
    (``in_order``) are walked in value order from the nearer end to the two values a percentile
    lies between; only those reach Python. A walk steps over the index's rows outside the
    period too, hence for long periods only."""
    counted = rows.subquery()
    total, count, *at_most = db.session.execute(
        select(
            func.count(),
            func.count(counted.c.v),
            *(func.count().filter(counted.c.v <= limit) for limit in limits),
        )
    ).one()
    if not count:
        return Spread(rows=total, at_most=tuple(at_most))
    walked = in_order.subquery()
    median, p90 = (_percentile_walked(walked, count, percent) for percent in PERCENTS)
    return Spread(count, median, p90, total, 0, tuple(at_most))


def _percentile_walked(values: Subquery, count: int, percent: int) -> float:
    """``percentile_cont`` of ``count`` values read in order from the end nearer its ranks."""
    low, remainder = divmod((count - 1) * percent, 100)
    high = low + 1 if remainder else low
    value = values.c.v
    if low <= count - 1 - high:
        walk = select(value).where(value.is_not(None)).order_by(value).offset(low)
        neighbours = list(db.session.scalars(walk.limit(high - low + 1)))
    else:
        walk = select(value).where(value.is_not(None)).order_by(value.desc())
        walk = walk.offset(count - 1 - high).limit(high - low + 1)
        neighbours = list(reversed(db.session.scalars(walk).all()))
    return _between(neighbours, remainder)
