"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, current_app

from clinic import clock
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


# (endpoint, label, admin only): the staff navigation, in order.
STAFF_NAV = [
    ("staff.home", "Today", False),
    ("staff.leads", "Leads", False),
    ("staff.reports", "Reports", False),
    ("staff.automation", "Automation", True),
    ("staff.users", "Users", True),
    ("staff.audit", "Audit log", True),
]


def staff_nav() -> list[tuple[str, str]]:
    """Navigation entries the signed-in user may open; endpoints not yet registered are skipped."""
    from flask_login import current_user

    return [
        (endpoint, label)
        for endpoint, label, admin_only in STAFF_NAV
        if endpoint in current_app.view_functions and (current_user.is_admin or not admin_only)
    ]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["status_label"] = lambda status: STATUS_LABELS.get(status, status)
    app.jinja_env.globals["staff_nav"] = staff_nav
    app.jinja_env.globals["clinic_tz_name"] = lambda: clock.zone().key

    @app.context_processor
    def clinic_facts():
        config = current_app.config
        return {
            "clinic_name": config["CLINIC_NAME"],
            "clinic_phone": config["CLINIC_PHONE"],
            "clinic_phone_href": "tel:"
            + "".join(c for c in config["CLINIC_PHONE"] if c in "+0123456789"),
            "clinic_hours": config["CLINIC_HOURS"],
        }
