"""What needs doing today: a coordinator's due follow-ups, leads nobody has picked up yet, and
how fast the clinic has been answering this week."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import ColumnElement, func, select

from clinic import clock
from clinic.extensions import db
from clinic.leads import counts, stale
from clinic.leads.inbox import listed
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.leads.sql import seconds_between
from clinic.models import Lead
from clinic.worker_cache import cached

DUE_LIMIT = 100  # follow-ups due today shown on the Today page
OVERDUE_SHOWN = 10  # the most overdue shown there, with a link to the rest
UNASSIGNED_LIMIT = 20


@dataclass
class FollowUps:
    """A coordinator's follow-ups: the most overdue first, and every one due today."""

    overdue: list[Lead]
    today: list[Lead]


@dataclass
class GoneQuiet:
    """Open leads nobody has worked on for the stale window: the coordinator's and everyone's."""

    days: int
    mine: int
    everyone: int


@dataclass
class SpeedToLead:
    """Minutes from a person's first inquiry to the clinic's first contact, for one week."""

    week_start: date
    median_minutes: float | None
    contacted: int
    waiting: int
    # The week before, so Monday morning (when this week has barely begun) still has a figure.
    previous: SpeedToLead | None = None

    @property
    def leads(self) -> int:
        """Every lead that first wrote that week, contacted or not."""
        return self.contacted + self.waiting


def follow_ups_due(
    owner_id: int, today: date, *, overdue_limit: int = OVERDUE_SHOWN, today_limit: int = DUE_LIMIT
) -> FollowUps:
    """The owner's open leads with a follow-up today or earlier.

    Overdue and due-today are read separately so that a long backlog of overdue follow-ups
    (hundreds, for a coordinator who inherited a colleague's leads) never pushes today's off
    the page."""
    overdue = db.session.execute(
        select(Lead)
        .where(*_open_leads_of(owner_id), Lead.follow_up_on < today)
        .order_by(Lead.follow_up_on, Lead.id)
        .limit(overdue_limit)
    ).scalars()
    due_today = db.session.execute(
        select(Lead)
        .where(*_open_leads_of(owner_id), Lead.follow_up_on == today)
        # All on one date: ordered by it too, so PostgreSQL reads them from the owner's
        # follow-up index instead of walking every lead by id until enough match.
        .order_by(Lead.follow_up_on, Lead.id)
        .limit(today_limit)
    ).scalars()
    return FollowUps(list(overdue), list(due_today))


def count_overdue(owner_id: int, today: date) -> counts.TabCount:
    """How many of the owner's follow-ups are overdue, reading at most ``counts.READ_LIMIT``
    of them (then "at least" that many): the size of the backlog, not a number to audit."""
    backlog = select(Lead.id).where(*_open_leads_of(owner_id), Lead.follow_up_on < today)
    read = db.session.execute(
        select(func.count()).select_from(backlog.limit(counts.READ_LIMIT).subquery())
    ).scalar_one()
    return counts.TabCount(read, exact=read < counts.READ_LIMIT)


def _open_leads_of(owner_id: int) -> list[ColumnElement[bool]]:
    return [*listed(), Lead.owner_id == owner_id, Lead.status.in_(OPEN_STATUSES)]


def new_unassigned(limit: int = UNASSIGNED_LIMIT) -> list[Lead]:
    """New leads nobody owns yet, newest first: the ones at risk of waiting."""
    return list(
        db.session.execute(
            select(Lead)
            .where(*listed(), Lead.status == "new", Lead.owner_id.is_(None))
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .limit(limit)
        ).scalars()
    )


def gone_quiet(owner_id: int, now: datetime, days: int) -> GoneQuiet:
    """Leads that went quiet, so a coordinator sees the backlog of their own that needs a nudge
    and how large the clinic's is."""
    by_owner = _stale_counts(now, days)
    return GoneQuiet(days, by_owner.get(owner_id, 0), sum(by_owner.values()))


def _stale_counts(now: datetime, days: int) -> dict[int | None, int]:
    """Every owner's count (key None: nobody's), kept for CLINIC_STALE_COUNT_CACHE_SECONDS:
    counting reads the window's activity, too much for every page, while a count of leads quiet
    for days barely moves in a minute."""
    return cached(
        f"stale_counts:{days}",
        lambda: stale.count_stale_by_owner(now, days),
        max_age="CLINIC_STALE_COUNT_CACHE_SECONDS",
    )


def speed_to_lead(now: datetime) -> SpeedToLead:
    """Median speed to lead for the leads that first wrote this week (clinic time), with the
    week before as ``previous``; kept for CLINIC_SPEED_CACHE_SECONDS, since reading two weeks
    of leads on every Today page costs more than a slightly old median is worth."""
    monday = clock.week_start(clock.today(now))
    return cached(
        f"speed_to_lead:{monday.isoformat()}",
        lambda: _two_weeks_speed(monday),
        max_age="CLINIC_SPEED_CACHE_SECONDS",
    )


def _two_weeks_speed(monday: date) -> SpeedToLead:
    last_monday = monday - timedelta(days=7)
    since = clock.local_midnight(monday)
    previous_since = clock.local_midnight(last_monday)
    # The wait is worked out by the database (one number a lead instead of two timestamps to
    # parse), and read as the driver's plain tuples: no Row object for each of thousands.
    query = select(
        Lead.created_at >= since,
        seconds_between(Lead.first_inquiry_at, Lead.first_contacted_at),
    ).where(*listed(), Lead.created_at >= previous_since)
    this_week: list[float | None] = []
    week_before: list[float | None] = []
    with closing(db.session.connection().execute(query)) as result:
        for in_this_week, wait in result.cursor.fetchall():
            (this_week if in_this_week else week_before).append(wait)
    speed = _week_speed(monday, this_week)
    speed.previous = _week_speed(last_monday, week_before)
    return speed


def _week_speed(monday: date, waits: list[float | None]) -> SpeedToLead:
    # SQLite's julianday arithmetic is exact to well under a millisecond; round to that.
    # PostgreSQL's EXTRACT gives a Decimal, which the driver's plain tuples leave as it is.
    minutes = [round(max(float(wait), 0), 3) / 60 for wait in waits if wait is not None]
    return SpeedToLead(
        week_start=monday,
        median_minutes=median(minutes) if minutes else None,
        contacted=len(minutes),
        waiting=len(waits) - len(minutes),
    )


def status_totals() -> dict[str, int]:
    """How many leads are at each stage, every stage listed (zero included): read from the
    counts the database keeps (:mod:`clinic.leads.counts`), not counted on every visit."""
    return counts.status_totals()
