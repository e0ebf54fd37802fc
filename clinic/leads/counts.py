"""How many leads each status holds, for the inbox's tabs and the Today page, at any size.

Counting every open lead on every page would slow each page as the table grows. The
filters most pages use — status, condition, owner, unassigned — are answered exactly from
``lead_counts``, a few hundred rows that the functions changing a lead's status, condition,
owner, merge or erasure keep in step (:func:`tracking`, :func:`move`), in the same transaction.
Any other filter (a search, a source, received dates, overdue, gone quiet) is counted over the
matching leads themselves, reading a bounded number of them: when they are all read the counts
are exact, otherwise each tab says "at least" ("2,512+"), never a wrong number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import ColumnElement, ScalarSelect, func, select, text

from clinic.extensions import db
from clinic.leads.pipeline import STATUSES
from clinic.models import Lead, LeadCount

# Leads read to count a filter the table can't answer: a search whose matches were all counted
# (search.COUNT_MAX) is read in full, any other filter up to READ_LIMIT.
READ_LIMIT = 1_000

# Where a listed lead counts: (status, condition, owner id or 0 for nobody's).
CountKey = tuple[str, str, int]

# One statement for both databases (SQLite 3.24+ and PostgreSQL upsert alike).
_ADD = text(
    """INSERT INTO lead_counts (status, condition_slug, owner_key, leads)
    VALUES (:status, :condition, :owner, 1)
    ON CONFLICT (status, condition_slug, owner_key) DO UPDATE SET leads = lead_counts.leads + 1"""
)
_TAKE = text(
    """UPDATE lead_counts SET leads = leads - 1
    WHERE status = :status AND condition_slug = :condition AND owner_key = :owner"""
)


def key_of(lead: Lead) -> CountKey | None:
    """Where the lead counts; None when it is not listed (merged into another, or erased)."""
    if lead.merged_into_id is not None or lead.erased_at is not None:
        return None
    return (lead.status, lead.condition_slug, lead.owner_id or 0)


def move(*changes: tuple[CountKey | None, CountKey | None]) -> None:
    """Move each lead's count from its ``before`` key to its ``after`` key (None: not counted).

    The rows are touched in key order, so two transactions moving leads in opposite directions
    (new → lost, lost → new) queue on PostgreSQL's row locks instead of deadlocking.
    """
    steps = sorted(
        [(before, -1) for before, after in changes if before != after and before is not None]
        + [(after, 1) for before, after in changes if before != after and after is not None]
    )
    if not steps:
        return
    connection = db.session.connection()
    for (status, condition, owner), step in steps:
        values = {"status": status, "condition": condition, "owner": owner}
        connection.execute(_ADD if step > 0 else _TAKE, values)


@contextmanager
def tracking(*leads: Lead) -> Iterator[None]:
    """Keep ``lead_counts`` right for whatever the block changes on these leads."""
    before = [key_of(lead) for lead in leads]
    yield
    move(*zip(before, [key_of(lead) for lead in leads], strict=True))


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
    where: list[ColumnElement[bool]] = [LeadCount.status.in_(list(statuses))]
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
) -> ScalarSelect[int]:
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
    found: dict[str, int] = dict(
        db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)).all()
    )
    exact = not partial and sum(found.values()) < limit
    return {status: TabCount(found.get(status, 0), exact) for status in statuses}


def status_totals() -> dict[str, int]:
    """How many listed leads are at each stage, every stage listed (zero included)."""
    return {status: int(count) for status, count in from_table(STATUSES).items()}
