"""What needs doing today, the coordinator's own work first: their new leads (the list that
decides speed to lead), their follow-ups due now and their consultations today; then the new
leads nobody has picked up, and how fast the clinic has been answering this week."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import ColumnElement, ScalarSelect, func, literal, or_, select

from clinic import clock
from clinic.extensions import db
from clinic.leads import counts, stale
from clinic.leads.appointments import ends_at
from clinic.leads.inbox import listed
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.leads.sql import seconds_between
from clinic.models import Appointment, Lead, StaffUser
from clinic.worker_cache import cached

# Follow-ups shown on the Today page, each list with a link to the rest (the inbox's "due" view):
DUE_LIMIT = 20  # due today, the earliest time first
OVERDUE_SHOWN = 10  # overdue, the longest overdue first
UNASSIGNED_LIMIT = 20
MY_NEW_LIMIT = 20  # a coordinator's new leads shown, the longest waiting first
APPOINTMENT_LIMIT = 60  # read for a day: more than a coordinator holds, enough for a busy clinic
# A consultation starting this soon comes before anything else a coordinator could pick up.
STARTING_SOON = timedelta(hours=1)


@dataclass
class FollowUps:
    """A coordinator's follow-ups: the most overdue first, and every one due today."""

    overdue: list[Lead]
    today: list[Lead]


@dataclass(frozen=True)
class DueCount:
    """How many of a coordinator's follow-ups are overdue and due today (each read up to
    ``counts.READ_LIMIT``, then "at least")."""

    overdue: counts.TabCount
    today: counts.TabCount

    @property
    def total(self) -> counts.TabCount:
        return counts.total({"overdue": self.overdue, "today": self.today})


@dataclass(frozen=True)
class BookedToday:
    """A consultation booked for today, with its lead and the name of whoever holds it."""

    appointment: Appointment
    lead: Lead
    host_name: str | None


@dataclass(frozen=True)
class Agenda:
    """A day's booked consultations as Today shows them: those still ahead or under way, and
    those over but not yet marked attended, no-show or cancelled (someone should say how it
    went). ``complete`` is False when the day held more than were read."""

    ahead: list[BookedToday]
    unsettled: list[BookedToday]
    complete: bool

    def __len__(self) -> int:
        return len(self.ahead) + len(self.unsettled)


@dataclass(frozen=True)
class NextAction:
    """The one thing to do first, shown at the top of Today (on a phone, the first screen):
    ``kind`` is "appointment", "new_lead" or "follow_up"."""

    kind: str
    lead: Lead
    appointment: Appointment | None = None


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
        # follow-up index instead of walking every lead by id until enough match; those
        # with a time in the order of their time, then those for any time that day.
        .order_by(Lead.follow_up_on, Lead.follow_up_time.asc().nulls_last(), Lead.id)
        .limit(today_limit)
    ).scalars()
    return FollowUps(list(overdue), list(due_today))


def count_due(owner_id: int, today: date) -> DueCount:
    """How many of the owner's follow-ups are overdue and how many due today (one statement),
    reading at most ``counts.READ_LIMIT`` of each: the size of the backlog, not a number to
    audit."""

    def bounded(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        rows = select(Lead.id).where(*_open_leads_of(owner_id), *where)
        subquery = rows.limit(counts.READ_LIMIT).subquery()
        return select(func.count()).select_from(subquery).scalar_subquery()

    overdue, due_today = db.session.execute(
        select(bounded(Lead.follow_up_on < today), bounded(Lead.follow_up_on == today))
    ).one()
    return DueCount(_read(overdue), _read(due_today))


def _read(number: int) -> counts.TabCount:
    return counts.TabCount(number, exact=number < counts.READ_LIMIT)


def count_overdue(owner_id: int, today: date) -> counts.TabCount:
    """How many of the owner's follow-ups are overdue (see :func:`count_due`)."""
    return count_due(owner_id, today).overdue


def _open_leads_of(owner_id: int) -> list[ColumnElement[bool]]:
    return [*listed(), Lead.owner_id == owner_id, Lead.status.in_(OPEN_STATUSES)]


def my_new_leads(owner_id: int, limit: int = MY_NEW_LIMIT) -> list[Lead]:
    """The owner's new leads, the one waiting longest first. Round-robin deals new inquiries
    to coordinators, so these are nobody else's to pick up: the list that decides speed to
    lead."""
    return list(
        db.session.execute(
            select(Lead)
            .where(*_new_leads(), Lead.owner_id == owner_id)
            .order_by(Lead.created_at, Lead.id)
            .limit(limit)
        ).scalars()
    )


def _new_leads() -> list[ColumnElement[bool]]:
    """Listed new leads, spelled so that ix_leads_new_by_owner serves them: SQLite uses a
    partial index only for a query naming its status as a literal, not a bound value."""
    return [*listed(), Lead.status == literal("new", literal_execute=True)]


def count_new(owner_id: int) -> int:
    """How many new leads the owner has, from ``lead_counts`` (exact, whatever the size)."""
    return int(counts.from_table(["new"], owner_key=owner_id)["new"])


def agenda(day: date, viewer_id: int | None, now: datetime) -> Agenda:
    """The day's consultations (see :func:`appointments_today`), split at ``now``."""
    booked = appointments_today(day, viewer_id)
    return Agenda(
        ahead=[each for each in booked if ends_at(each.appointment) > now],
        unsettled=[each for each in booked if ends_at(each.appointment) <= now],
        complete=len(booked) < APPOINTMENT_LIMIT,
    )


def appointments_today(
    day: date, viewer_id: int | None, *, limit: int = APPOINTMENT_LIMIT
) -> list[BookedToday]:
    """The clinic day's booked consultations in time order, over or not (one not yet marked
    attended still needs its outcome): those the viewer holds or whose lead they own, or with
    ``viewer_id`` None, the whole clinic's. Read from the day's range of
    ix_appointments_booked_starts_at (the literal status lets SQLite use that partial index)."""
    start, end = clock.day_range(day, day)
    query = (
        select(Appointment, Lead, StaffUser.name)
        .join(Lead, Lead.id == Appointment.lead_id)
        .outerjoin(StaffUser, StaffUser.id == Appointment.host_id)
        .where(
            Appointment.status == literal("booked", literal_execute=True),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            *listed(),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    if viewer_id is not None:
        query = query.where(or_(Appointment.host_id == viewer_id, Lead.owner_id == viewer_id))
    return [BookedToday(*row) for row in db.session.execute(query)]


def next_action(
    viewer_id: int,
    new: list[Lead],
    due: FollowUps,
    appointments: list[BookedToday],
    now: datetime,
) -> NextAction | None:
    """What the viewer should do first: their consultation starting within the hour (or under
    way), else their new lead waiting longest, else their most overdue follow-up, else the first
    due today, else their next consultation later today."""
    theirs = [
        booked
        for booked in appointments
        if viewer_id in (booked.appointment.host_id, booked.lead.owner_id)
    ]
    ahead = [booked for booked in theirs if ends_at(booked.appointment) > now]
    soon = [b for b in ahead if b.appointment.starts_at <= now + STARTING_SOON]
    if soon:
        return NextAction("appointment", soon[0].lead, soon[0].appointment)
    if new:
        return NextAction("new_lead", new[0])
    if due.overdue or due.today:
        return NextAction("follow_up", (due.overdue or due.today)[0])
    if ahead:
        return NextAction("appointment", ahead[0].lead, ahead[0].appointment)
    return None


def new_unassigned(limit: int = UNASSIGNED_LIMIT) -> list[Lead]:
    """New leads nobody owns yet, newest first: the ones at risk of waiting."""
    return list(
        db.session.execute(
            select(Lead)
            .where(*_new_leads(), Lead.owner_id.is_(None))
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
    of leads on every Today page costs more than a slightly old median is worth. Imported
    leads are left out: nobody here was answering them."""
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
    ).where(*listed(), Lead.created_at >= previous_since, Lead.import_batch_id.is_(None))
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
