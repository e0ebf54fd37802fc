"""The staff calendar (day and week), the availability form and the booking settings in a real
browser: axe finds nothing serious, one h1, no sideways scrolling on a phone; entries link to
their lead."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clinic import clock
from clinic.extensions import db
from clinic.leads.availability import HoursRange, replace_weekly_hours
from clinic.models import Appointment, StaffUser
from tests.browser.conftest import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DESKTOP,
    PHONE,
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

# Where the lead engineer collects screenshots of this work (set CALENDAR_SHOTS to keep them).
SHOTS = Path(os.environ["CALENDAR_SHOTS"]) if os.environ.get("CALENDAR_SHOTS") else None
WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}


@pytest.fixture
def booked_week(app, staff, seeded_leads):
    """Consultations this week for the coordinator and the admin, and weekly hours."""
    with app.app_context():
        coordinator = db.session.get(StaffUser, staff["coordinator"].id)
        admin = db.session.get(StaffUser, staff["admin"].id)
        today = clock.today()
        monday = clock.week_start(today)
        zone = clock.zone()

        def at(day, hour, minute=0):
            return datetime.combine(day, time(hour, minute), tzinfo=zone)

        plan = [
            ("Robert Lindqvist", today, 9, 30, "phone", coordinator, "booked"),
            ("Aisha Rahman", today, 14, 0, "in_person", admin, "booked"),
            ("Helen Park", monday, 11, 0, "video", coordinator, "attended"),
            ("Maria Delgado", monday + timedelta(days=3), 10, 0, "video", None, "cancelled"),
        ]
        for name, day, hour, minute, kind, host, status in plan:
            db.session.add(
                Appointment(
                    lead_id=seeded_leads[name],
                    starts_at=at(day, hour, minute),
                    duration_minutes=45,
                    kind=kind,
                    location="Room 2, 14 Elm Street" if kind == "in_person" else None,
                    host_id=host.id if host else None,
                    status=status,
                )
            )
        replace_weekly_hours(
            admin,
            "phone",
            [HoursRange(day, time(9), time(12)) for day in range(5)],
            admin,
        )
        replace_weekly_hours(
            admin,
            "in_person",
            [HoursRange(2, time(13), time(17), "Room 2, 14 Elm Street")],
            admin,
        )
        db.session.commit()
    return seeded_leads


PAGES = [
    ("calendar-week", "/staff/calendar?view=week"),
    ("calendar-day", "/staff/calendar?view=day"),
    ("availability", "/staff/availability"),
    ("booking-settings", "/staff/settings/booking"),
]


def test_calendar_and_availability_pages_are_accessible(open_page, booked_week):
    page = open_page(viewport=DESKTOP)
    sign_in(page, ADMIN_EMAIL)
    problems = []
    for name, path in PAGES:
        for viewport in (WIDE, NARROW, PHONE):
            page.set_viewport_size(viewport)
            response = page.goto(path)
            assert response.status == 200, f"{path}: {response.status}"
            expect(page.locator("h1")).to_have_count(1)
            scroll_width, width = no_horizontal_scroll(page)
            if scroll_width > width:
                problems.append(f"{name} scrolls sideways at {width}px ({scroll_width}px)")
            if viewport is not PHONE:
                screenshot(page, f"calendar-{name}-{viewport['width']}")
                if SHOTS:
                    SHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(
                        path=str(SHOTS / f"h-avail-{name}-{viewport['width']}.png"),
                        full_page=True,
                    )
            violations = axe_violations(page)
            if violations:
                problems.append(
                    f"{name} at {viewport['width']}px: " + describe_violations(violations)
                )
    assert not problems, "\n".join(problems)


def test_entries_link_to_the_lead_record(open_page, booked_week):
    page = open_page(viewport=PHONE)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/calendar?view=day")
    entry = page.get_by_role("link", name="Consultation #").first
    expect(entry).to_be_visible()
    entry.click()
    page.wait_for_url("**/staff/leads/*")
    expect(page.get_by_role("heading", name="Consultations")).to_be_visible()


def test_weekly_hours_errors_are_announced(open_page, booked_week):
    page = open_page(viewport=PHONE)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/availability")
    page.get_by_label("Tuesday, video: from").fill("12:00")
    page.get_by_label("Tuesday, video: to").fill("09:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_role("alert")).to_contain_text("Tuesday (video): the end (09:00)")
    assert page.title().startswith("Error:")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
