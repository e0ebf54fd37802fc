"""How many leads each status holds, for the inbox's tabs and the Today page, at any size.

Counting every open lead on every page would slow each page as the table grows. The
filters most pages use — status, condition, owner, unassigned — are answered exactly from
``lead_counts``, a few hundred rows that database triggers keep in step with every change to
a lead (migration 0005_performance). Any other filter (a search, a source, received dates,
overdue, gone quiet) is counted over the matching leads themselves, reading a bounded number
of them: when they are all read the counts are exact, otherwise each tab says "at least"
("2,512+"), never a wrong number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from clinic.extensions import db
from clinic.leads.pipeline import STATUSES
from clinic.models import Lead, LeadCount

# Leads read to count a filter the table can't answer: a search whose matches were all counted
# (search.COUNT_MAX) is read in full, any other filter up to READ_LIMIT.
READ_LIMIT = 1_000


class TabCount(int):
    """A tab's number of leads; when not ``exact``, at least that many."""

    exact: bool

    def __new__(cls, value: int, exact: bool = True) -> TabCount:
        count = super().__new__(cls, value)
        count.exact = exact
        return count

    def __str__(self) -> str:
        return f"{int(self):,}" + ("" if self.exact else "+")


def total(counts: Mapping[str, TabCount]) -> TabCount:
    """All the tabs together, exact only when every tab is."""
    return TabCount(sum(counts.values()), all(count.exact for count in counts.values()))


def _table_rows(
    statuses: Iterable[str], condition: str | None, owner_key: int | None
) -> list[ColumnElement[bool]]:
    where = [LeadCount.status.in_(list(statuses))]
    if condition is not None:
        where.append(LeadCount.condition_slug == condition)
    if owner_key is not None:
        where.append(LeadCount.owner_key == owner_key)
    return where


def from_table(
    statuses: Iterable[str], *, condition: str | None = None, owner_key: int | None = None
) -> dict[str, TabCount]:
    """Exact counts per status from ``lead_counts`` (``owner_key`` 0: nobody's)."""
    statuses = list(statuses)
    query = select(LeadCount.status, func.sum(LeadCount.leads)).where(
        *_table_rows(statuses, condition, owner_key)
    )
    found = dict(db.session.execute(query.group_by(LeadCount.status)).all())
    return {status: TabCount(int(found.get(status) or 0)) for status in statuses}


def table_total(
    statuses: Iterable[str], *, condition: str | None = None, owner_key: int | None = None
) -> ScalarSelect:
    """The same, all statuses together, as a subquery (to read with other values at once)."""
    where = _table_rows(statuses, condition, owner_key)
    return select(func.coalesce(func.sum(LeadCount.leads), 0)).where(*where).scalar_subquery()


def by_reading(
    statuses: Iterable[str],
    where: list[ColumnElement[bool]],
    *,
    limit: int = READ_LIMIT,
    partial: bool = False,
) -> dict[str, TabCount]:
    """Counts per status of the leads meeting ``where``, reading at most ``limit`` of them;
    ``partial`` when ``where`` itself holds only some of the leads meant (a search's first
    matches), so the counts are "at least"."""
    statuses = list(statuses)
    matching = select(Lead.status).where(*where, Lead.status.in_(statuses)).limit(limit)
    rows = matching.subquery()
    found = dict(
        db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)).all()
    )
    exact = not partial and sum(found.values()) < limit
    return {status: TabCount(found.get(status, 0), exact) for status in statuses}


def status_totals() -> dict[str, int]:
    """How many listed leads are at each stage, every stage listed (zero included)."""
    return {status: int(count) for status, count in from_table(STATUSES).items()}
