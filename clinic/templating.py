"""Jinja filters and globals shared by every page, and the words that go with every number a
page shows ("overdue 3 days", "received 2 days ago", "waiting 19 h"), so each screen says
what a figure means instead of leaving a bare date or count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from flask import Flask, current_app

from clinic import clock, profile
from clinic.leads.normalise import display_phone
from clinic.leads.pipeline import STATUS_LABELS


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A stored UTC time shown in the clinic's time zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(clock.zone()).strftime(fmt)


def long_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


_NANP = re.compile(r"\+1(\d{3})(\d{3})(\d{4})")


def phone(e164: str | None) -> str:
    """A stored number for people reading it, as :func:`display_phone` writes it. A North
    American number (most of the clinic's) has the fixed 3-3-4 shape, written here directly:
    parsing each with phonenumbers is a noticeable share of an inbox page of fifty."""
    nanp = _NANP.fullmatch(e164 or "")
    if nanp:
        return "+1 {}-{}-{}".format(*nanp.groups())
    return display_phone(e164)


# --- numbers in words --------------------------------------------------------------------


def days_words(days: int) -> str:
    """A number of days the way people say it: '1 day', '12 days', then '3 months' from two
    months and '2 years' from two years (nobody counts 996 days)."""
    days = max(days, 0)
    if days < 60:
        return f"{days} day" if days == 1 else f"{days} days"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"


def span(minutes: float) -> str:
    """A duration the way people say it: '12 min', '19 h', '4 days', '5 months'."""
    minutes = max(int(minutes), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return days_words(minutes // (24 * 60))


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'12 min ago', '2 days ago', or 'just now', for a stored UTC time."""
    if moment is None:
        return ""
    minutes = ((now or clock.now()) - moment).total_seconds() / 60
    return "just now" if minutes < 1 else f"{span(minutes)} ago"


def received(moment: datetime | None, now: datetime | None = None) -> str:
    """'received 2 days ago': when a lead or inquiry came in."""
    return f"received {ago(moment, now)}" if moment else ""


def waiting_for(since: datetime | None, now: datetime | None = None) -> str:
    """'waiting 19 h': how long someone has waited for the clinic since ``since``."""
    if since is None:
        return ""
    return f"waiting {span(((now or clock.now()) - since).total_seconds() / 60)}"


def clock_time(value: time | None) -> str:
    """A clinic wall-clock time: '14:30'."""
    return value.strftime("%H:%M") if value else ""


def follow_up_due(on: date | None, at: time | None = None, now: datetime | None = None) -> str:
    """A follow-up date (and optional clinic time) against the clinic's today: 'overdue 3 days',
    'overdue since 09:00', 'due today at 14:30', 'due today', 'due tomorrow', 'due in 5 days'."""
    if on is None:
        return ""
    now = now or clock.now()
    days = (on - clock.today(now)).days
    at_words = f" at {clock_time(at)}" if at else ""
    if days < 0:
        return f"overdue {days_words(-days)}"
    if days == 0:
        if at is not None and at <= now.astimezone(clock.zone()).time().replace(tzinfo=None):
            return f"overdue since {clock_time(at)}"
        return f"due today{at_words}"
    if days == 1:
        return f"due tomorrow{at_words}"
    return f"due in {days_words(days)}"


def appointment_when(starts_at: datetime | None, now: datetime | None = None) -> str:
    """When a booked time falls, from the clinic's today: 'today at 14:30', 'tomorrow at 09:00',
    'Friday at 10:00' within the week, else 'Tue 15 Dec at 10:00' (the year when not this one)."""
    if starts_at is None:
        return ""
    now = now or clock.now()
    local = starts_at.astimezone(clock.zone())
    this_day = clock.today(now)
    days = (local.date() - this_day).days
    at = f"at {local:%H:%M}"
    if days == 0:
        return f"today {at}"
    if days == 1:
        return f"tomorrow {at}"
    if days == -1:
        return f"yesterday {at}"
    if 1 < days < 7:
        return f"{local:%A} {at}"
    year = f" {local.year}" if local.year != this_day.year else ""
    return f"{local:%a} {local.day} {local:%b}{year} {at}"


def relative(moment: datetime | None, now: datetime | None = None) -> str:
    """How far a moment is from now, either way: 'in 3 h', '25 min ago', 'now'."""
    if moment is None:
        return ""
    minutes = (moment - (now or clock.now())).total_seconds() / 60
    if abs(minutes) < 1:
        return "now"
    return f"in {span(minutes)}" if minutes > 0 else f"{span(-minutes)} ago"


def counted(number: int | None, singular: str, plural: str | None = None) -> str:
    """A count with its noun: '1 attempt', '3 attempts', '1,204 leads'."""
    number = number or 0
    noun = singular if number == 1 else (plural or f"{singular}s")
    return f"{number:,} {noun}"


# (endpoint, label, admin only): the staff navigation, in order.
# (endpoint, label, who sees it): "patients" = staff who work the leads (not editors), "admin",
# "everyone" = editors too. Endpoints not registered (yet) are skipped.
STAFF_NAV = [
    ("staff.home", "Today", "patients"),
    ("staff.leads", "Leads", "patients"),
    ("staff.calendar", "Calendar", "patients"),
    ("staff.reports", "Reports", "patients"),
    ("staff.content", "Pages", "everyone"),
    ("staff.clinic_settings", "Clinic", "admin"),
    ("staff.automation", "Automation", "admin"),
    ("staff.users", "Users", "admin"),
    ("staff.audit", "Audit log", "admin"),
]
# The tabs of the clinic's settings (admins): one partial, staff/_settings_tabs.html, draws them.
SETTINGS_TABS = [
    ("staff.clinic_settings", "Profile"),
    ("staff.clinicians", "Clinicians"),
    ("staff.services", "Services and prices"),
    ("staff.booking_settings", "Booking"),
    ("staff.website_form", "Website form"),
    ("staff.api_keys", "API keys"),
]


def _may_see(audience: str) -> bool:
    from flask_login import current_user

    if audience == "admin":
        return current_user.is_admin
    if audience == "patients":
        return current_user.sees_patient_data
    return True


def staff_nav() -> list[tuple[str, str]]:
    """Navigation entries the signed-in user may open; endpoints not yet registered are skipped."""
    return [
        (endpoint, label)
        for endpoint, label, audience in STAFF_NAV
        if endpoint in current_app.view_functions and _may_see(audience)
    ]


def clinic_structured_data() -> dict[str, object]:
    """The clinic as schema.org's MedicalClinic, for the JSON-LD block of public pages (the
    page writes it with ``tojson``, which escapes <, > and & so no value can end the block)."""
    try:
        calendar = clock.business_calendar()
        hours = profile.opening_hours(calendar.days, calendar.opens, calendar.closes)
    except clock.BusinessHoursError:
        hours = None
    return profile.structured_data(
        profile.current_profile(), current_app.config["CLINIC_PUBLIC_URL"], hours
    )


def settings_tabs() -> list[tuple[str, str]]:
    return [(e, label) for e, label in SETTINGS_TABS if e in current_app.view_functions]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["phone"] = phone
    app.jinja_env.filters["status_label"] = lambda status: STATUS_LABELS.get(status, status)
    app.jinja_env.filters["span"] = span
    app.jinja_env.filters["days_words"] = days_words
    app.jinja_env.filters["received"] = received
    app.jinja_env.filters["waiting_for"] = waiting_for
    app.jinja_env.filters["clock_time"] = clock_time
    app.jinja_env.filters["follow_up_due"] = follow_up_due
    app.jinja_env.filters["appointment_when"] = appointment_when
    app.jinja_env.filters["relative"] = relative
    app.jinja_env.filters["counted"] = counted
    app.jinja_env.globals["staff_nav"] = staff_nav
    app.jinja_env.globals["settings_tabs"] = settings_tabs
    app.jinja_env.globals["clinic_tz_name"] = lambda: clock.zone().key

    app.jinja_env.globals["clinic_structured_data"] = clinic_structured_data

    @app.context_processor
    def clinic_facts():
        facts = profile.current_profile()
        return {
            "clinic_name": facts.name,
            "clinic_phone": facts.phone,
            "clinic_phone_href": facts.phone_href,
            "clinic_hours": facts.hours,
            "clinic_email": facts.email,
            "clinic_address_lines": facts.address_lines,
            "clinic_logo_url": facts.logo_url,
            "clinic_social_links": facts.social_links,
        }
