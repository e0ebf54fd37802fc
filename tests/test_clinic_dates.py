"""The clinic's calendar at its edges, with the clock frozen there: a month end, the year end, a
leap day and both daylight-saving changes of 2027 in America/New_York.

The clinic's day is New York's, not UTC's: at 23:30 on 31 December in New York it is already
1 January in UTC, yet the Today page, the follow-ups, the reports' periods, the digest and the
inbox's date filters must all still say 31 December. On 14 March 2027 the clinic's day is 23
hours long (02:00 EST jumps to 03:00 EDT) and on 7 November 2027 it is 25 (01:00-02:00 happens
twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from clinic import clock
from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads import actions, inbox, today
from clinic.leads.inbox import InboxContext
from clinic.models import OutboxMessage, utcnow
from clinic.notify import digest
from clinic.reports.periods import preset_period
from clinic.staff import lead_forms
from tests.lead_helpers import make_lead, signed_in
from tests.staff_helpers import make_staff

NY = ZoneInfo("America/New_York")
WEEKDAYS = BusinessCalendar.parse("09:00-17:00", "mon,tue,wed,thu,fri", "America/New_York")


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


MONTH_END = ny(2027, 4, 30, 23, 30)  # Friday; 03:30 on 1 May in UTC
YEAR_END = ny(2026, 12, 31, 23, 30)  # Thursday; 04:30 on 1 January 2027 in UTC
NEW_YEAR = ny(2027, 1, 1, 0, 30)  # an hour later: Friday 1 January in New York too
LEAP_DAY = ny(2028, 2, 29, 20, 0)  # Tuesday; 01:00 on 1 March in UTC
BEFORE_SPRING_FORWARD = utc(2027, 3, 14, 6, 59)  # Sunday 01:59 EST
AFTER_SPRING_FORWARD = utc(2027, 3, 14, 7, 0)  # a minute later: 03:00 EDT
FIRST_ONE_THIRTY = utc(2027, 11, 7, 5, 30)  # Sunday 01:30 EDT
SECOND_ONE_THIRTY = utc(2027, 11, 7, 6, 30)  # an hour later: 01:30 EST
SUNDAY_LATE = ny(2027, 3, 14, 23, 30)  # still Sunday in New York; Monday 03:30 in UTC
MONDAY_JUST_AFTER_MIDNIGHT = ny(2027, 3, 15, 0, 30)  # the first Monday in EDT

# moment, its time in the clinic, the clinic's date, when that day begins in UTC, its hours
CLINIC_DAYS = [
    pytest.param(
        MONTH_END, "23:30 EDT", date(2027, 4, 30), "2027-04-30T04:00:00+00:00", 24, id="month-end"
    ),
    pytest.param(
        YEAR_END, "23:30 EST", date(2026, 12, 31), "2026-12-31T05:00:00+00:00", 24, id="year-end"
    ),
    pytest.param(
        LEAP_DAY, "20:00 EST", date(2028, 2, 29), "2028-02-29T05:00:00+00:00", 24, id="leap-day"
    ),
    pytest.param(
        BEFORE_SPRING_FORWARD,
        "01:59 EST",
        date(2027, 3, 14),
        "2027-03-14T05:00:00+00:00",
        23,
        id="before-spring-forward",
    ),
    pytest.param(
        AFTER_SPRING_FORWARD,
        "03:00 EDT",
        date(2027, 3, 14),
        "2027-03-14T05:00:00+00:00",
        23,
        id="after-spring-forward",
    ),
    pytest.param(
        FIRST_ONE_THIRTY,
        "01:30 EDT",
        date(2027, 11, 7),
        "2027-11-07T04:00:00+00:00",
        25,
        id="first-one-thirty",
    ),
    pytest.param(
        SECOND_ONE_THIRTY,
        "01:30 EST",
        date(2027, 11, 7),
        "2027-11-07T04:00:00+00:00",
        25,
        id="second-one-thirty",
    ),
]


@pytest.mark.parametrize(("moment", "local_time", "day", "starts", "hours"), CLINIC_DAYS)
def test_clinic_today_and_its_utc_bounds(app, frozen_clock, moment, local_time, day, starts, hours):
    """Every reader of "today" agrees on New York's date, and the day's UTC bounds hold now."""
    frozen_clock.move_to(moment)
    now = utcnow()
    assert datetime.now(NY).strftime("%H:%M %Z") == local_time
    with app.app_context():
        assert clock.today() == day
        assert clock.today(now) == day
        assert InboxContext(user_id=1, now=now, stale_days=7, region="US").today == day

        begins = clock.local_midnight(day)
        ends = clock.local_midnight(day + timedelta(days=1))
        assert begins.isoformat() == starts
        assert ends - begins == timedelta(hours=hours)
        assert clock.day_range(day, day) == (begins, ends)
    assert begins <= now < ends


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        pytest.param(YEAR_END, date(2026, 12, 31), id="year-end"),
        pytest.param(NEW_YEAR, date(2027, 1, 1), id="new-year"),
        pytest.param(MONTH_END, date(2027, 4, 30), id="month-end"),
        pytest.param(LEAP_DAY, date(2028, 2, 29), id="leap-day"),
        pytest.param(AFTER_SPRING_FORWARD, date(2027, 3, 14), id="spring-forward"),
        pytest.param(SECOND_ONE_THIRTY, date(2027, 11, 7), id="fall-back"),
    ],
)
def test_a_follow_up_due_yesterday_is_overdue_and_todays_is_due_today(
    app, client, frozen_clock, moment, day
):
    frozen_clock.move_to(moment)
    user = signed_in(app, client, "me@clinic.test", name="Morgan Me")
    with app.app_context():
        colleague = make_staff("sam@clinic.test", name="Sam")
        make_lead(
            "Yesterday Yara",
            status="contacted",
            owner_id=user.id,
            follow_up_on=day - timedelta(days=1),
        )
        make_lead("Today Tara", status="contacted", owner_id=user.id, follow_up_on=day)
        make_lead(
            "Tomorrow Tom",
            status="contacted",
            owner_id=user.id,
            follow_up_on=day + timedelta(days=1),
        )
        make_lead(
            "Theirs Theo",
            status="contacted",
            owner_id=colleague.id,
            follow_up_on=day - timedelta(days=1),
        )
        due = today.follow_ups_due(user.id, day)
        assert [lead.name for lead in due.overdue] == ["Yesterday Yara"]
        assert [lead.name for lead in due.today] == ["Today Tara"]
        assert today.count_overdue(user.id, day) == 1

    home = client.get("/staff/").get_data(as_text=True)
    overdue, due_today = home.split("Due today", 1)
    assert "Yesterday Yara" in overdue and "Today Tara" not in overdue
    assert "Today Tara" in due_today.split("New leads nobody")[0]
    assert "Tomorrow Tom" not in home and "Theirs Theo" not in home
    listed = client.get("/staff/leads?view=overdue").get_data(as_text=True)
    assert "Yesterday Yara" in listed and "Theirs Theo" in listed
    assert "Today Tara" not in listed and "Tomorrow Tom" not in listed


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(YEAR_END, id="year-end"),
        pytest.param(LEAP_DAY, id="leap-day"),
        pytest.param(AFTER_SPRING_FORWARD, id="spring-forward"),
        pytest.param(SECOND_ONE_THIRTY, id="fall-back"),
    ],
)
def test_a_follow_up_can_be_set_for_the_clinic_day_but_not_the_one_before(
    app, frozen_clock, moment
):
    frozen_clock.move_to(moment)
    day = moment.astimezone(NY).date()
    for follow_up_on, accepted in ((day, True), (day - timedelta(days=1), False)):
        with app.test_request_context(method="POST", data={"follow_up_on": str(follow_up_on)}):
            form = lead_forms.FollowUpForm(meta={"csrf": False})
            assert form.validate() is accepted
            if not accepted:
                assert form.follow_up_on.errors == [
                    "Choose today or a later date for the next follow-up."
                ]


# moment, Monday of the clinic's week, when that Monday begins in UTC, hours to the next one
WEEKS = [
    pytest.param(MONTH_END, date(2027, 4, 26), "2027-04-26T04:00:00+00:00", 168, id="month-end"),
    pytest.param(YEAR_END, date(2026, 12, 28), "2026-12-28T05:00:00+00:00", 168, id="year-end"),
    pytest.param(LEAP_DAY, date(2028, 2, 28), "2028-02-28T05:00:00+00:00", 168, id="leap-day"),
    pytest.param(
        BEFORE_SPRING_FORWARD,
        date(2027, 3, 8),
        "2027-03-08T05:00:00+00:00",
        167,
        id="before-spring-forward",
    ),
    pytest.param(
        AFTER_SPRING_FORWARD,
        date(2027, 3, 8),
        "2027-03-08T05:00:00+00:00",
        167,
        id="after-spring-forward",
    ),
    pytest.param(
        SUNDAY_LATE, date(2027, 3, 8), "2027-03-08T05:00:00+00:00", 167, id="sunday-23-30"
    ),
    pytest.param(
        MONDAY_JUST_AFTER_MIDNIGHT,
        date(2027, 3, 15),
        "2027-03-15T04:00:00+00:00",
        168,
        id="monday-00-30",
    ),
    pytest.param(
        FIRST_ONE_THIRTY, date(2027, 11, 1), "2027-11-01T04:00:00+00:00", 169, id="first-one-thirty"
    ),
    pytest.param(
        SECOND_ONE_THIRTY,
        date(2027, 11, 1),
        "2027-11-01T04:00:00+00:00",
        169,
        id="second-one-thirty",
    ),
]


@pytest.mark.parametrize(("moment", "monday", "starts", "hours"), WEEKS)
def test_the_today_pages_week_starts_at_the_clinics_monday_midnight(
    app, client, frozen_clock, moment, monday, starts, hours
):
    frozen_clock.move_to(moment)
    now = utcnow()
    signed_in(app, client, "me@clinic.test", name="Morgan Me")
    with app.app_context():
        assert clock.week_start(clock.today(now)) == monday
        since = clock.local_midnight(monday)
        assert since.isoformat() == starts
        assert clock.local_midnight(monday + timedelta(days=7)) - since == timedelta(hours=hours)
        contacted = since + timedelta(minutes=10)
        make_lead("First Of The Week", at=since, first_contacted_at=contacted)
        make_lead(
            "Last Of Last Week", at=since - timedelta(seconds=1), first_contacted_at=contacted
        )
        speed = today.speed_to_lead(now)
    assert (speed.week_start, speed.contacted, speed.median_minutes) == (monday, 1, 10)
    assert (speed.previous.week_start, speed.previous.contacted) == (
        monday - timedelta(days=7),
        1,
    )
    home = " ".join(client.get("/staff/").get_data(as_text=True).split())
    assert f"of the leads that first wrote since Monday {monday:%-d %B %Y}." in home


@pytest.mark.parametrize(
    ("written", "answered", "minutes"),
    [
        # Friday 16:00 EST to Monday 10:00 EDT over the spring-forward weekend: 60 + 60.
        pytest.param(ny(2027, 3, 12, 16, 0), ny(2027, 3, 15, 10, 0), 120, id="spring-forward"),
        # Friday 16:00 EDT to Monday 10:00 EST over the fall-back weekend: 60 + 60.
        pytest.param(ny(2027, 11, 5, 16, 0), ny(2027, 11, 8, 10, 0), 120, id="fall-back"),
        # Saturday noon, answered Monday 09:05 after the clocks went forward: five minutes.
        pytest.param(ny(2027, 3, 13, 12, 0), ny(2027, 3, 15, 9, 5), 5, id="weekend"),
        # New Year's Eve 16:30 to New Year's Day 09:30 (no holidays are configured): 30 + 30.
        pytest.param(ny(2026, 12, 31, 16, 30), ny(2027, 1, 1, 9, 30), 60, id="year-end"),
        # Friday 30 April 16:45 to Monday 3 May 09:15: 15 + 15.
        pytest.param(ny(2027, 4, 30, 16, 45), ny(2027, 5, 3, 9, 15), 30, id="month-end"),
        # Monday 28 February 16:00 to Wednesday 1 March 10:00, the leap day in between: 1 + 8 + 1 h.
        pytest.param(ny(2028, 2, 28, 16, 0), ny(2028, 3, 1, 10, 0), 600, id="leap-day"),
    ],
)
def test_business_minutes_to_first_contact_made_now(app, frozen_clock, written, answered, minutes):
    """A call logged now (the frozen clock) stores speed to lead in business time."""
    frozen_clock.move_to(answered)
    with app.app_context():
        coordinator = make_staff()
        lead = make_lead(at=written)
        actions.log_contact(lead, "call", "reached", coordinator)
        db.session.commit()
        assert lead.first_contacted_at == answered
        assert lead.business_seconds_to_contact == minutes * 60
    assert WEEKDAYS.seconds_between(written, answered) == minutes * 60


# moment, preset, first and last clinic date, label
PERIODS = [
    pytest.param(YEAR_END, "last_30_days", "2026-12-02", "2026-12-31", "Last 30 days", id="y30"),
    pytest.param(YEAR_END, "this_year", "2026-01-01", "2026-12-31", "This year (2026)", id="yy"),
    pytest.param(YEAR_END, "last_quarter", "2026-07-01", "2026-09-30", "Q3 2026", id="yq"),
    pytest.param(NEW_YEAR, "this_year", "2027-01-01", "2027-01-01", "This year (2027)", id="ny"),
    pytest.param(NEW_YEAR, "last_quarter", "2026-10-01", "2026-12-31", "Q4 2026", id="nq"),
    pytest.param(MONTH_END, "last_30_days", "2027-04-01", "2027-04-30", "Last 30 days", id="m30"),
    pytest.param(MONTH_END, "last_quarter", "2027-01-01", "2027-03-31", "Q1 2027", id="mq"),
    pytest.param(LEAP_DAY, "last_30_days", "2028-01-31", "2028-02-29", "Last 30 days", id="l30"),
    pytest.param(LEAP_DAY, "this_year", "2028-01-01", "2028-02-29", "This year (2028)", id="ly"),
    pytest.param(LEAP_DAY, "last_quarter", "2027-10-01", "2027-12-31", "Q4 2027", id="lq"),
    pytest.param(
        BEFORE_SPRING_FORWARD, "last_30_days", "2027-02-13", "2027-03-14", "Last 30 days", id="s30"
    ),
    pytest.param(
        SECOND_ONE_THIRTY, "last_30_days", "2027-10-09", "2027-11-07", "Last 30 days", id="f30"
    ),
]


@pytest.mark.parametrize(("moment", "preset", "first", "last", "label"), PERIODS)
def test_report_periods_end_on_the_clinics_today(
    app, client, frozen_clock, moment, preset, first, last, label
):
    frozen_clock.move_to(moment)
    with app.app_context():
        period = preset_period(preset, clock.today())
    assert (period.first.isoformat(), period.last.isoformat(), period.label) == (first, last, label)
    signed_in(app, client, "me@clinic.test", name="Morgan Me")
    csv = client.get(f"/staff/reports?period={preset}&format=csv&report=funnel")
    assert csv.status_code == 200
    assert csv.headers["Content-Disposition"] == f'attachment; filename="funnel-{first}-{last}.csv"'


def test_the_last_30_days_of_the_spring_forward_day_end_at_its_utc_midnight(app, frozen_clock):
    """The report's window ends when the clinic's 23-hour day does: 04:00 UTC, not 05:00."""
    frozen_clock.move_to(AFTER_SPRING_FORWARD)
    with app.app_context():
        period = preset_period("last_30_days", clock.today())
        assert clock.local_midnight(period.first) == utc(2027, 2, 13, 5, 0)
        assert clock.local_midnight(period.last + timedelta(days=1)) == utc(2027, 3, 15, 4, 0)


# day, then leads at its first and last minute (included) and a minute either side (not)
RECEIVED_DAYS = [
    pytest.param(
        date(2027, 3, 14),
        [utc(2027, 3, 14, 5, 0), utc(2027, 3, 15, 3, 59)],
        [utc(2027, 3, 14, 4, 59), utc(2027, 3, 15, 4, 0)],
        id="spring-forward",
    ),
    pytest.param(
        date(2027, 11, 7),
        [utc(2027, 11, 7, 4, 0), utc(2027, 11, 8, 4, 59)],
        [utc(2027, 11, 7, 3, 59), utc(2027, 11, 8, 5, 0)],
        id="fall-back",
    ),
    pytest.param(
        date(2026, 12, 31),
        [utc(2026, 12, 31, 5, 0), utc(2027, 1, 1, 4, 59)],
        [utc(2026, 12, 31, 4, 59), utc(2027, 1, 1, 5, 0)],
        id="year-end",
    ),
    pytest.param(
        date(2028, 2, 29),
        [utc(2028, 2, 29, 5, 0), utc(2028, 3, 1, 4, 59)],
        [utc(2028, 2, 29, 4, 59), utc(2028, 3, 1, 5, 0)],
        id="leap-day",
    ),
]


@pytest.mark.parametrize(("day", "inside", "outside"), RECEIVED_DAYS)
def test_the_inboxs_received_dates_run_from_local_midnight_to_local_midnight(
    ctx, frozen_clock, day, inside, outside
):
    frozen_clock.move_to(clock.local_midnight(day + timedelta(days=1)) + timedelta(hours=12))
    me = make_staff("me@clinic.test", name="Morgan Me")
    wanted = [make_lead(at=moment).id for moment in inside]
    for moment in outside:
        make_lead(at=moment)
    params = inbox.parse_params(MultiDict({"created_from": str(day), "created_to": str(day)}))
    context = InboxContext(user_id=me.id, now=utcnow(), stale_days=7, region="US")
    assert [lead.id for lead in inbox.fetch_page(params, context).leads] == wanted[::-1]


def _digests() -> list[str]:
    query = select(OutboxMessage.subject).where(OutboxMessage.kind == digest.DIGEST)
    return list(db.session.execute(query.order_by(OutboxMessage.id)).scalars())


@pytest.mark.parametrize(
    ("first_run", "same_day", "next_day", "subjects"),
    [
        pytest.param(
            YEAR_END,
            ny(2026, 12, 31, 23, 59),
            NEW_YEAR,
            [
                "Your follow-ups for 31 December: 1 waiting",
                "Your follow-ups for 1 January: 1 waiting",
            ],
            id="year-end",
        ),
        # 00:30 EDT and 23:30 EST are 24 hours apart on the 25-hour day: still one digest.
        pytest.param(
            ny(2027, 11, 7, 0, 30),
            ny(2027, 11, 7, 23, 30),
            ny(2027, 11, 8, 0, 15),
            [
                "Your follow-ups for 7 November: 1 waiting",
                "Your follow-ups for 8 November: 1 waiting",
            ],
            id="fall-back",
        ),
        # 00:30 EST to 00:15 EDT the next day is under 23 hours: a new day all the same.
        pytest.param(
            ny(2027, 3, 14, 0, 30),
            ny(2027, 3, 14, 23, 30),
            ny(2027, 3, 15, 0, 15),
            ["Your follow-ups for 14 March: 1 waiting", "Your follow-ups for 15 March: 1 waiting"],
            id="spring-forward",
        ),
    ],
)
def test_the_daily_digest_goes_once_per_clinic_day(
    ctx, frozen_clock, first_run, same_day, next_day, subjects
):
    coordinator = make_staff()
    day = first_run.astimezone(NY).date()
    make_lead(owner_id=coordinator.id, follow_up_on=day)
    frozen_clock.move_to(first_run)
    assert len(digest.queue_daily_digests()) == 1
    frozen_clock.move_to(same_day)
    assert digest.queue_daily_digests() == []
    frozen_clock.move_to(next_day)
    assert len(digest.queue_daily_digests()) == 1
    assert _digests() == subjects
