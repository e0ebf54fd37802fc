"""Report numbers, aggregated by the database: funnel, attribution, speed to lead, volume.

Every query reads the leads whose first inquiry falls in the chosen period (``Lead.created_at``),
optionally for one condition, leaving out leads merged into another (they are the same person).
Counts and sums come back to Python; so do percentiles from PostgreSQL, while on SQLite the
values themselves do, to be sorted there (clinic/reports/stats.py says why).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, literal, select

from clinic import clock
from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads.pipeline import FUNNEL_STAGES
from clinic.leads.sql import unindexed
from clinic.models import Lead, StaffUser
from clinic.reports.sql import grouped_in_index_order, parse_utc_hour, utc_hour
from clinic.reports.stats import OVERALL, Spread, spreads

# What a funnel can be broken down by: the lead's column holding it.
BREAKDOWNS: dict[str, ColumnElement] = {
    "condition": Lead.condition_slug,
    "source": Lead.source,
    "campaign": Lead.first_campaign,
    "article": Lead.first_article,
    "landing_page": Lead.first_landing_page,
}
CONSULT_BOOKED = FUNNEL_STAGES.index("consult_booked")
# See is_long: roughly where walking ix_leads_funnel whole, in order, starts to beat a range
# scan of the period on both databases.
LONG_PERIOD = timedelta(days=183)


@dataclass(frozen=True)
class ReportFilters:
    """Leads first heard from in [start, end) (UTC), optionally about one condition."""

    start: datetime
    end: datetime
    condition: str | None = None


def lead_scope(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The period's leads (optionally of one condition), not merged into another."""
    return _scope(filters, Lead.created_at)


def funnel_index_scope(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The same leads, for a query that reads them from ix_leads_funnel: its WHERE
    (``furthest_stage >= 0``, which no other query names) is repeated so the index may serve
    the query, and SQLite may not range-scan the period in another index (unary +). The
    index then yields the leads in condition order, starting at the chosen condition."""
    funnel_rows = Lead.furthest_stage >= literal(0, literal_execute=True)
    return _scope(filters, unindexed(Lead.created_at), funnel_rows)


def _scope(filters: ReportFilters, created_at, *also: ColumnElement[bool]):
    clauses = [created_at >= filters.start, created_at < filters.end, Lead.merged_into_id.is_(None)]
    clauses += also
    if filters.condition:
        clauses.append(Lead.condition_slug == filters.condition)
    return clauses


def in_order(filters: ReportFilters, group, index: str) -> tuple[ColumnElement, str | None]:
    """The grouping column and SQLite index for :func:`stats.spreads`: over a long period the
    values are read in ``index``'s order, grouped by the column as it is; over a short one
    from the period's range, grouped after reading (SQLite's unary +, see ``unindexed``)."""
    if is_long(filters):
        return group, index
    return unindexed(group), None


def is_long(filters: ReportFilters) -> bool:
    """Whether the period is long enough (over half a year) that walking ix_leads_funnel
    whole, in its order, beats range-scanning the period and sorting or hashing it."""
    return filters.end - filters.start > LONG_PERIOD


@dataclass
class FunnelRow:
    """One line of a funnel: how many leads reached each stage (index = stage rank)."""

    key: str | None
    reached: list[int] = field(default_factory=list)

    @property
    def leads(self) -> int:
        return self.reached[0] if self.reached else 0

    def conversion(self, rank: int) -> float | None:
        """Share of the previous stage's leads that reached this one, in percent."""
        before = self.reached[rank - 1]
        return 100.0 * self.reached[rank] / before if before else None


def funnels(filters: ReportFilters) -> dict[str | None, list[FunnelRow]]:
    """The overall funnel (key None, one row) and one per breakdown (rows largest first),
    from one pass over the period's leads.

    The database counts the leads per combination of every breakdown and furthest stage (a
    few thousand combinations in a year) and they are added up here, instead of reading the
    period's leads once per breakdown. A lead counts for a stage when it ever reached that
    stage or a later one.
    """
    stages = len(FUNNEL_STAGES)
    overall = [0] * stages
    at_stage: dict[str, dict[object, list[int]]] = {by: {} for by in BREAKDOWNS}
    with grouped_in_index_order(db.session, is_long(filters)):
        counted = db.session.execute(funnel_counts(filters)).all()
    for *keys, stage, count in counted:
        overall[stage] += count
        for groups, key in zip(at_stage.values(), keys, strict=True):
            groups.setdefault(key, [0] * stages)[stage] += count
    result: dict[str | None, list[FunnelRow]] = {None: [FunnelRow(None, _reached(overall))]}
    for by, groups in at_stage.items():
        rows = [FunnelRow(key, _reached(counts)) for key, counts in groups.items()]
        result[by] = sorted(rows, key=lambda row: (-row.leads, row.key is None, row.key or ""))
    return result


def funnel_counts(filters: ReportFilters):
    """The period's leads counted per combination of every breakdown and furthest stage.

    SQLite groups only by sorting, slow for a year of leads by these six columns, so it reads
    ix_leads_funnel, which holds them in this order, and keeps the period's leads (for one
    condition it seeks that condition's): the period may not be read from another index, or the
    planner would range-scan that and sort. PostgreSQL hashes
    the groups over a short period and walks the index in order over a long one.
    """
    columns = [*BREAKDOWNS.values(), Lead.furthest_stage]
    return select(*columns, func.count()).where(*funnel_index_scope(filters)).group_by(*columns)


def _reached(at_stage: list[int]) -> list[int]:
    """Leads reaching each stage or a later one, from the leads whose furthest is each stage."""
    return [sum(at_stage[rank:]) for rank in range(len(at_stage))]


@dataclass(frozen=True)
class SpeedSummary:
    """Speed to lead for a period, in business seconds."""

    leads: int
    contacted: int
    spread: Spread
    within_15_minutes: int
    within_1_hour: int
    within_1_day: int

    def share(self, count: int) -> float | None:
        return 100.0 * count / self.leads if self.leads else None


@dataclass(frozen=True)
class OwnerSpeed:
    owner_id: int | None
    owner_name: str
    leads: int
    spread: Spread


def speed_report(
    filters: ReportFilters, calendar: BusinessCalendar
) -> tuple[SpeedSummary, list[OwnerSpeed]]:
    """Speed to lead overall and per coordinator (the lead's owner), with the leads contacted
    within each target, from one pass over the period's waits (two statements on PostgreSQL:
    stats.spreads says why); coordinators fastest median first."""
    wait = Lead.business_seconds_to_contact
    owner, index = in_order(filters, Lead.owner_id, "ix_leads_owner_wait_order")
    rows = select(owner.label("grp"), wait.label("v")).where(*lead_scope(filters))
    targets = (15 * 60, 60 * 60, calendar.day_seconds)
    found = spreads(rows, overall=True, limits=targets, index=index)
    every = found.pop(OVERALL)  # always there when overall is asked for
    found, every = _without_imported(filters, found, every)
    summary = SpeedSummary(every.rows, every.count, every, *every.at_most)
    names = staff_names([owner_id for owner_id in found if owner_id])
    people = [
        OwnerSpeed(owner_id, names.get(owner_id, "Unassigned"), spread.rows, spread)
        for owner_id, spread in found.items()
    ]
    return summary, sorted(people, key=_fastest_first)


def _without_imported(
    filters: ReportFilters, found: dict[object, Spread], every: Spread
) -> tuple[dict[object, Spread], Spread]:
    """The spreads less the period's imported leads, which nobody here was answering: their
    wait is always empty (clinic.leads.facts.refresh_speed), so they count among the rows
    only, and are taken off those here, read from their own small index, rather than filtered
    out of the reads above, which would then no longer come from their indexes alone."""
    query = (
        select(Lead.owner_id, func.count())
        .where(*lead_scope(filters), Lead.import_batch_id.is_not(None))
        .group_by(Lead.owner_id)
    )
    imported: dict[int | None, int] = dict(db.session.execute(query).all())
    if not imported:
        return found, every
    kept = {
        owner: replace(spread, rows=spread.rows - imported.get(owner, 0))  # type: ignore[arg-type]
        for owner, spread in found.items()
        if spread.rows > imported.get(owner, 0)  # type: ignore[arg-type]
    }
    return kept, replace(every, rows=every.rows - sum(imported.values()))


def _fastest_first(row: OwnerSpeed) -> tuple:
    """Coordinators by median wait, those who have contacted nobody yet last."""
    median = row.spread.median
    return (median is None, median or 0, row.owner_name)


def staff_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return dict(rows.all())


@dataclass(frozen=True)
class ArticleRow:
    article: str | None
    leads: int
    consults_booked: int
    spread: Spread


def by_article(filters: ReportFilters) -> list[ArticleRow]:
    """Per article a form was sent from: leads, booked consultations, median speed to lead.

    Sorted by booked consultations, then leads: the article that brings patients who book
    comes first.
    """
    article, index = in_order(filters, Lead.first_article, "ix_leads_article_wait_order")
    rows = select(
        article.label("grp"),
        Lead.business_seconds_to_contact.label("v"),
        (Lead.furthest_stage >= CONSULT_BOOKED).label("flag"),
    ).where(*lead_scope(filters))
    found = spreads(rows, index=index)
    articles = [
        ArticleRow(path, spread.rows, spread.flagged, spread) for path, spread in found.items()
    ]
    return sorted(articles, key=lambda row: (-row.consults_booked, -row.leads, row.article or ""))


Hours = list[tuple[datetime, int]]


def hourly_counts(filters: ReportFilters) -> Hours:
    """New leads per UTC hour: few enough rows to regroup in any time zone in Python."""
    query = hourly_counts_query(filters)
    return [(parse_utc_hour(value), count) for value, count in db.session.execute(query)]


def hourly_counts_query(filters: ReportFilters):
    """The statement behind :func:`hourly_counts` (a test reads its plan)."""
    if filters.condition and is_long(filters):
        # One condition's leads over a long period: sought in ix_leads_funnel, and SQLite may
        # not walk ix_leads_created_hour instead (every lead, each one's condition read from
        # the table, is slower than seeking the condition's own leads).
        hour, scope = utc_hour(unindexed(Lead.created_at)), funnel_index_scope(filters)
    else:
        # Every lead of a long period: counted in one walk of ix_leads_created_hour, whose
        # first column is this very expression (migration 0011_hour_index).
        hour, scope = utc_hour(Lead.created_at), lead_scope(filters)
    return select(hour, func.count()).where(*scope).group_by(hour)


def _within(filters: ReportFilters, hours: Hours | None) -> Hours:
    """The hours of ``filters``' range, from ``hours`` read for a wider one (or read now).

    Periods start and end at clinic midnight, a whole UTC hour in zones with whole-hour
    offsets, so an hour is either wholly inside the range or wholly outside it.
    """
    if hours is None:
        return hourly_counts(filters)
    return [(hour, count) for hour, count in hours if filters.start <= hour < filters.end]


def _weeks(today: date, weeks: int, condition: str | None) -> tuple[date, ReportFilters]:
    """The first Monday of the last ``weeks`` clinic weeks up to today, and their leads."""
    this_monday = clock.week_start(today)
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    start, end = clock.day_range(first_monday, this_monday + timedelta(days=6))
    return first_monday, ReportFilters(start=start, end=end, condition=condition)


def volume_hours(filters: ReportFilters, today: date) -> Hours | None:
    """Hourly counts covering both the period and the last 52 weeks, read in one pass, when
    the two overlap (the usual case); None when they don't (each is then read alone)."""
    _, weeks = _weeks(today, 52, filters.condition)
    if filters.start >= weeks.end or weeks.start >= filters.end:
        return None
    span = ReportFilters(
        min(filters.start, weeks.start), max(filters.end, weeks.end), filters.condition
    )
    return hourly_counts(span)


def weekly_volume(
    today: date,
    *,
    weeks: int = 52,
    condition: str | None = None,
    hours: Hours | None = None,
) -> list[tuple[date, int]]:
    """New leads per clinic-time week (Monday first), the last ``weeks`` weeks up to today.

    Weeks are grouped from UTC hours converted to the clinic's zone, so the result is right
    across daylight-saving changes for zones whose offsets are whole hours. ``hours``: counts
    already read for a range covering these weeks (:func:`volume_hours`).
    """
    first_monday, filters = _weeks(today, weeks, condition)
    zone = clock.zone()
    totals: Counter[date] = Counter()
    for hour, count in _within(filters, hours):
        totals[clock.week_start(hour.astimezone(zone).date())] += count
    return [
        (first_monday + timedelta(weeks=n), totals[first_monday + timedelta(weeks=n)])
        for n in range(weeks)
    ]


def weekday_hour_volume(filters: ReportFilters, hours: Hours | None = None) -> list[list[int]]:
    """A 7 × 24 grid (Monday first) of when patients write, in clinic time."""
    zone = clock.zone()
    grid = [[0] * 24 for _ in range(7)]
    for hour, count in _within(filters, hours):
        local = hour.astimezone(zone)
        grid[local.weekday()][local.hour] += count
    return grid


def volume_by_condition(filters: ReportFilters) -> list[tuple[str, int]]:
    """New leads per condition, most first: over a long period read from ix_leads_funnel,
    already in condition order; over a short one from the period's range, then sorted."""
    if is_long(filters):
        condition, scope = Lead.condition_slug, funnel_index_scope(filters)
    else:
        condition, scope = unindexed(Lead.condition_slug), lead_scope(filters)
    query = (
        select(condition, func.count())
        .where(*scope)
        .group_by(condition)
        .order_by(func.count().desc(), condition)
    )
    return [(slug, count) for slug, count in db.session.execute(query)]
