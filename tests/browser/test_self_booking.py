"""A patient books their consultation from the thanks page on a phone, with JavaScript and
without, then moves and cancels it from the same personal link; a time taken meanwhile says so.

The server runs on the real clock, so the host offers phone consultations every day of the week
and the tests pick whichever times are free; the rows are then checked in the database.
"""

from __future__ import annotations

import re
from datetime import time

from playwright.sync_api import expect
from sqlalchemy import select

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import booking
from clinic.leads.availability import HoursRange, replace_weekly_hours
from clinic.models import Appointment, Lead, utcnow
from tests.browser.conftest import PageProblems, axe_violations, screenshot
from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff

PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1366 = {"width": 1366, "height": 900}


def _host(app, kinds=("phone",)) -> None:
    with app.app_context():
        host = make_staff("amara@clinic.test", name="Amara Okafor")
        for kind in kinds:
            location = "Suite 4, 12 Harbour Street" if kind == "in_person" else None
            ranges = [HoursRange(day, time(8), time(20), location) for day in range(7)]
            replace_weekly_hours(host, kind, ranges, None)
        db.session.commit()


def _send_inquiry(page) -> None:
    page.goto("/inquire?condition=copd")
    page.get_by_label("Full name").fill("Walter Brennan")
    page.get_by_label("Email address").fill("walter.brennan@example.com")
    page.get_by_role("radio", name="Email").check()
    page.get_by_role("checkbox", name=re.compile("I agree that the clinic may store")).check()
    page.get_by_role("button", name="Send my inquiry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your inquiry")


def _the_booking(app) -> Appointment:
    with app.app_context():
        return db.session.execute(select(Appointment)).scalar_one()


def test_a_patient_books_from_the_thanks_page_without_javascript(open_page, app):
    _host(app)
    page = open_page(viewport=PHONE_390, javascript=False)
    _send_inquiry(page)
    screenshot(page, "booking-thanks-phone")
    page.get_by_role("link", name="Choose a time for your consultation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time for your consultation")
    expect(page.locator(".booking-zone")).to_contain_text("New York time, the clinic's time zone")
    screenshot(page, "booking-times-phone-no-js")
    first = page.locator('input[name="slot"]').first
    first.check()
    page.get_by_role("button", name="Book this time").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultation is booked")
    expect(page.get_by_role("status")).to_contain_text("Your consultation is booked.")
    expect(page.locator(".booking-facts")).to_contain_text("with Amara")
    screenshot(page, "booking-confirmed-phone")
    appointment = _the_booking(app)
    assert (appointment.booked_via, appointment.status, appointment.timezone_hint) == (
        "patient",
        "booked",
        None,
    )
    with app.app_context():
        assert db.session.get_one(Lead, appointment.lead_id).status == "consult_booked"

    # Move it, then cancel it, from the same page.
    page.get_by_role("link", name="Change the time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new time")
    page.locator('input[name="slot"]').nth(1).check()
    page.get_by_role("button", name="Move to this time").click()
    expect(page.get_by_role("status")).to_contain_text("moved to the new time")
    moved = _the_booking(app)
    assert moved.starts_at != appointment.starts_at and moved.sequence == 1
    page.get_by_role("link", name="Cancel the consultation").click()
    screenshot(page, "booking-cancel-phone")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This consultation is cancelled")
    assert _the_booking(app).status == "cancelled"
    with app.app_context():
        assert db.session.get_one(Lead, appointment.lead_id).status == "new"


def test_a_patient_books_with_javascript_in_their_own_time_zone(browser, live_server, app):
    _host(app)
    context = browser.new_context(
        base_url=live_server,
        viewport=PHONE_390,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems(page)
    try:
        _send_inquiry(page)
        page.get_by_role("link", name="Choose a time for your consultation").click()
        expect(page).to_have_url(re.compile(r"tz=Europe%2FLondon|tz=Europe/London"))
        expect(page.locator(".booking-zone")).to_contain_text("London time")
        # axe runs in pages with JavaScript on (evaluating it in a page without never returns).
        assert axe_violations(page) == []
        screenshot(page, "booking-times-phone-js-london")
        label = page.locator(".booking-time").first.inner_text()
        page.locator('input[name="slot"]').first.check()
        page.get_by_role("button", name="Book this time").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your consultation is booked")
        expect(page.locator(".booking-facts")).to_contain_text("London time")
        assert axe_violations(page) == []
        screenshot(page, "booking-confirmed-phone-js-london")
        expect(page.locator(".booking-facts")).to_contain_text(label.splitlines()[0].strip())
        assert _the_booking(app).timezone_hint == "Europe/London"
    finally:
        context.close()
    assert problems.errors == []


def test_a_time_taken_meanwhile_says_so_and_offers_fresh_times(open_page, app):
    _host(app)
    with app.app_context():
        lead, other = make_lead(), make_lead()
        inquiry_id = booking.latest_inquiry_id(lead.id)
        path = f"/book/{booking.booking_token(lead.id, inquiry_id)}"
        other_id = other.id
    page = open_page(viewport=PHONE_390)
    page.goto(path)
    key = page.locator('input[name="slot"]').first.get_attribute("value")
    with app.app_context(), write_transaction():
        booking.book_as_patient(db.session.get_one(Lead, other_id), key, now=utcnow())
    page.locator('input[name="slot"]').first.check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("alert")).to_contain_text("Sorry, that time was just taken")
    expect(page).to_have_title(re.compile("^Error:"))
    assert page.locator(f'input[name="slot"][value="{key}"]').count() == 0
    assert page.locator('input[name="slot"]').count() > 0
    screenshot(page, "booking-just-taken-phone")
    with app.app_context():
        booked = db.session.execute(select(Appointment)).scalars().all()
        assert [row.lead_id for row in booked] == [other_id]


def test_the_kind_step_and_the_desktop_layout(open_page, app):
    _host(app, kinds=("phone", "video", "in_person"))
    with app.app_context():
        lead = make_lead()
        path = f"/book/{booking.booking_token(lead.id, booking.latest_inquiry_id(lead.id))}"
    page = open_page(viewport=DESKTOP_1366)
    page.goto(path)
    expect(page.get_by_role("group", name="How would you like to have your consultation?"))
    screenshot(page, "booking-kind-desktop")
    page.get_by_role("radio", name="Visit to the clinic").check()
    page.get_by_role("button", name="Show free times").click()
    expect(page.locator(".booking-time").first).to_contain_text("Suite 4, 12 Harbour Street")
    assert axe_violations(page) == []
    screenshot(page, "booking-times-desktop")
