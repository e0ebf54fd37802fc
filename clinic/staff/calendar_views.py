"""The staff calendar: a day or a week of consultations, one person's or the clinic's, as lists
(no grid to drag: booking, moving, cancelling and marking attended happen on the lead's record,
where each entry links).

Coordinators open their own calendar, admins the clinic's; ?person=me|all|<id> chooses,
?view=day|week and ?date=YYYY-MM-DD move around. Also the private calendar feed
(/calendar/<token>.ics): outside /staff and its sign-in, opened by the token alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from clinic import clock, profile
from clinic.database import write_transaction
from clinic.extensions import db, limiter
from clinic.leads import calendar, calendar_feed
from clinic.models.appointments import APPOINTMENT_KINDS, APPOINTMENT_STATUSES
from clinic.staff import bp
from clinic.staff.lead_display import lead_path_builder

VIEWS = ("day", "week")

feed_bp = Blueprint("calendar_feed", __name__)


@dataclass(frozen=True)
class Choice:
    """What the calendar shows: which days, whose, and the links around it."""

    view: str
    day: date
    person: str  # "me", "all" or a staff id
    host_id: int | None


def _choice() -> Choice:
    args = request.args
    view = args.get("view") if args.get("view") in VIEWS else "week"
    today = clock.today()
    try:
        day = date.fromisoformat(args.get("date", "")) if args.get("date") else today
    except ValueError:
        day = today
    hosts = dict(calendar.host_choices())
    person = args.get("person") or ("all" if current_user.is_admin else "me")
    if person == "me":
        host_id: int | None = current_user.id
    elif person.isdigit() and int(person) in hosts:
        host_id = int(person)
        if host_id == current_user.id:
            person = "me"
    else:
        person, host_id = "all", None
    return Choice(view, day, person, host_id)


@bp.get("/calendar", endpoint="calendar")
@login_required
def calendar_page():
    choice = _choice()
    if choice.view == "day":
        first = last = choice.day
        step = timedelta(days=1)
    else:
        first = clock.week_start(choice.day)
        last = first + timedelta(days=6)
        step = timedelta(days=7)
    agenda = calendar.agenda(first, last, choice.host_id)
    hosts = calendar.host_choices()
    names = dict(hosts)

    def link(**changes) -> str:
        params = {"view": choice.view, "date": choice.day.isoformat(), "person": choice.person}
        params.update(changes)
        return url_for("staff.calendar", **params)

    if choice.host_id is None:
        whose = "The clinic’s consultations"
    elif choice.host_id == current_user.id:
        whose = "Your consultations"
    else:
        whose = f"{names.get(choice.host_id, 'Someone')}’s consultations"
    return render_template(
        "staff/calendar/calendar.html",
        choice=choice,
        agenda=agenda,
        whose=whose,
        hosts=hosts,
        today=clock.today(),
        now=clock.now(),
        previous_url=link(date=(choice.day - step).isoformat()),
        next_url=link(date=(choice.day + step).isoformat()),
        today_url=link(date=clock.today().isoformat()),
        day_url=link(view="day"),
        week_url=link(view="week"),
        day_link=lambda day: link(view="day", date=day.isoformat()),
        lead_path=lead_path_builder(),
        kinds=APPOINTMENT_KINDS,
        statuses=APPOINTMENT_STATUSES,
        zone=clock.zone().key,
    )


def _feed_limit() -> str:
    return current_app.config["RATELIMIT_CALENDAR_FEED"]


@feed_bp.get("/calendar/<token>.ics")
@limiter.limit(_feed_limit, scope="calendar-feed")
def feed(token: str):
    """The owner's consultations for their calendar app; 404 for any token that doesn't open a
    working feed, with nothing to tell an unknown token from a revoked one."""
    found = calendar_feed.feed_for_token(token)
    if found is None:
        db.session.rollback()
        abort(404)
    feed_row, owner = found
    now = clock.now()
    if calendar_feed.fetch_worth_noting(feed_row, now):
        with write_transaction():
            feed_row.last_fetched_at = now
    lead_path = lead_path_builder()
    root = request.url_root.rstrip("/")
    body = calendar_feed.feed_calendar(
        owner,
        now=now,
        lead_url=lambda lead_id: root + lead_path(lead_id),
        uid_domain=request.host.split(":")[0],
        clinic_name=profile.current_profile().name,
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="consultations.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    return response
