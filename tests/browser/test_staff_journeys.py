"""Staff in a real browser: a coordinator works a lead by keyboard; an admin exports CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic import clock
from clinic.extensions import db
from clinic.models import Lead, LeadEvent, StaffUser
from tests.browser.conftest import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DESKTOP,
    PHONE,
    TABLET,
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


def submit_with_keyboard(form) -> None:
    """Focus the form's submit button and press Enter, as a keyboard user does."""
    button = form.locator("button[type='submit'], input[type='submit']").first
    button.focus()
    button.press("Enter")


def test_coordinator_finds_a_lead_logs_a_call_changes_status_and_sets_a_follow_up(
    open_page, app, staff, seeded_leads
):
    page = open_page(viewport=DESKTOP)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/leads")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_role("link", name="Maria Delgado")).to_be_visible()
    screenshot(page, "staff-inbox", full_page=False)

    # The table's header row stays in view while the rows scroll under it.
    page.set_viewport_size({"width": DESKTOP["width"], "height": 420})
    page.locator("table.leads-table tbody tr").last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    header = page.locator("table.leads-table thead th").nth(1)
    expect(header).to_be_in_viewport()
    assert abs(header.bounding_box()["y"]) < 1, header.bounding_box()
    page.set_viewport_size(DESKTOP)

    # Search by phone number typed the way someone reads it off a sticky note.
    page.get_by_role("searchbox", name="Search").focus()
    page.keyboard.type("212.555.0147")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/leads\?.*q=212\.555\.0147"))
    rows = page.locator("table.leads-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Maria Delgado")
    rows.first.get_by_role("link", name="Maria Delgado").press("Enter")

    lead_id = seeded_leads["Maria Delgado"]
    page.wait_for_url(f"**/staff/leads/{lead_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Delgado")
    expect(page.locator(".lead-contact")).to_contain_text("maria.delgado@example.com")

    # Log a call: the keyboard only, from the first control of the form.
    contact = page.locator(
        "form.action-form", has=page.get_by_role("heading", name="Log a contact")
    )
    contact.get_by_label("How").focus()
    expect(contact.get_by_label("How")).to_have_value("call")
    page.keyboard.press("Tab")
    expect(contact.get_by_label("Outcome")).to_be_focused()
    expect(contact.get_by_label("Outcome")).to_have_value("reached")
    page.keyboard.press("Tab")
    page.keyboard.type("Talked through the lupus trial results.")
    page.keyboard.press("Tab")
    expect(contact.get_by_role("button", name="Log attempt")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Phone call logged (reached); attempt 1.")

    # Change the status.
    status = page.locator("form.action-form", has=page.get_by_role("heading", name="Change status"))
    status.get_by_label("Status", exact=True).focus()
    page.keyboard.press("ArrowDown")  # New -> Contacted
    page.keyboard.press("ArrowDown")  # Contacted -> Consult booked
    expect(status.get_by_label("Status", exact=True)).to_have_value("consult_booked")
    submit_with_keyboard(status)
    expect(page.get_by_role("status")).to_contain_text("Status is now Consult booked")

    # Set the next follow-up.
    follow_up_on = clinic_today_in(app) + timedelta(days=3)
    follow_up = page.locator(
        "form.action-form", has=page.get_by_role("heading", name="Next follow-up")
    )
    follow_up.get_by_label("Next follow-up").focus()
    page.keyboard.type(follow_up_on.strftime("%m%d%Y"))  # month, day, year segments (en-US)
    expect(follow_up.get_by_label("Next follow-up")).to_have_value(follow_up_on.isoformat())
    submit_with_keyboard(follow_up)
    expect(page.get_by_role("status")).to_contain_text("Next follow-up set for")

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Phone call: Reached")
    expect(timeline).to_contain_text("Talked through the lupus trial results.")
    expect(timeline).to_contain_text("to Consult booked")
    expect(timeline).to_contain_text(f"Next follow-up {follow_up_on:%a %-d %b %Y}")
    screenshot(page, "staff-lead-record", full_page=False)
    screenshot(page, "staff-lead-record-full")

    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.status, lead.attempts, lead.follow_up_on) == (
            "consult_booked",
            1,
            follow_up_on,
        )
        assert lead.first_contacted_at is not None
        kinds = db.session.execute(
            select(LeadEvent.kind, LeadEvent.channel, LeadEvent.outcome, LeadEvent.to_status)
            .where(LeadEvent.lead_id == lead_id, LeadEvent.actor_id == staff["coordinator"].id)
            .order_by(LeadEvent.id)
        ).all()
        assert [tuple(row) for row in kinds] == [
            ("contact", "call", "reached", None),
            ("status", None, None, "consult_booked"),
            ("follow_up", None, None, None),
        ]


def clinic_today_in(app):
    with app.app_context():
        return clock.today()


def test_admin_exports_the_filtered_leads_as_csv(open_page, app, staff, seeded_leads):
    page = open_page(viewport=DESKTOP, accept_downloads=True)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/leads?condition=lupus&status=all")
    expect(page.locator("table.leads-table tbody tr")).to_have_count(2)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these leads (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    assert sorted(row["name"] for row in rows) == ["Aisha Rahman", "Maria Delgado"]
    maria = next(row for row in rows if row["name"] == "Maria Delgado")
    assert (maria["email"], maria["phone"], maria["condition"], maria["status"]) == (
        "maria.delgado@example.com",
        "'+12125550147",  # a leading + would start a spreadsheet formula, so it is quoted
        "lupus",
        "new",
    )
    assert "hydroxychloroquine" in maria["message"]


def test_inbox_select_all_and_bulk_assign_by_keyboard(open_page, app, staff, seeded_leads):
    page = open_page(viewport=TABLET)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/leads?status=new")
    screenshot(page, "staff-inbox-tablet", full_page=False)
    # At 200% zoom (640 CSS px) the page itself never scrolls sideways; the table may.
    page.set_viewport_size({"width": 640, "height": 800})
    assert no_horizontal_scroll(page)[0] <= 640
    page.set_viewport_size(TABLET)
    select_all = page.get_by_role("checkbox", name="Select all leads on this page")
    select_all.focus()
    page.keyboard.press("Space")
    boxes = page.locator("tbody input[type='checkbox']")
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    boxes.nth(1).press("Space")
    assert select_all.evaluate("box => box.indeterminate")
    boxes.nth(1).press("Space")
    expect(select_all).to_be_checked()
    # Hand both new leads to the admin.
    page.get_by_label("Assign to").select_option(label="Alex Rivera")
    page.get_by_role("button", name="Assign selected").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("2 leads")
    with app.app_context():
        owners = (
            db.session.execute(select(Lead.owner_id).where(Lead.status == "new")).scalars().all()
        )
        assert owners == [staff["admin"].id] * 2


def test_inbox_on_a_phone_shows_leads_as_cards_with_the_filters_folded(
    open_page, staff, seeded_leads
):
    """On a phone the leads come first: the filters fold away until asked for (or while some
    are set), and each lead is a card whose facts say what they are without column headers."""
    page = open_page(viewport=PHONE)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/leads")
    search = page.get_by_label("Search", exact=True)
    expect(search).to_be_hidden()
    first_card = page.locator("tbody tr").first
    expect(first_card.get_by_role("link", name="Maria Delgado")).to_be_in_viewport()
    expect(first_card).to_contain_text("Owner: Unassigned")
    expect(first_card).to_contain_text("Source: direct")
    for words in ("Owner:", "Source:", "Attempts:"):
        expect(first_card.get_by_text(words)).to_be_visible()
    expect(first_card.get_by_text("Next follow-up")).to_be_hidden()  # none set: left out
    box = first_card.bounding_box()
    assert box["width"] <= PHONE["width"]
    assert no_horizontal_scroll(page)[0] <= PHONE["width"]
    expect(page.get_by_role("checkbox", name="Select all leads on this page")).to_be_visible()
    tab_tops = page.locator(".tabs .tab").evaluate_all(
        "tabs => tabs.map(tab => Math.round(tab.getBoundingClientRect().top))"
    )
    assert len(tab_tops) == 7 and len(set(tab_tops)) == 1  # one line of status tabs
    screenshot(page, "staff-inbox-phone", full_page=False)
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.goto("/staff/leads?status=treatment_booked")  # a tab at the far end of the line
    strip = page.locator(".tabs ul").bounding_box()
    chosen = page.locator('.tabs [aria-current="page"]').bounding_box()
    right_edge = strip["x"] + strip["width"]
    assert strip["x"] <= chosen["x"] and chosen["x"] + chosen["width"] <= right_edge
    assert no_horizontal_scroll(page)[0] <= PHONE["width"]

    page.goto("/staff/leads")
    page.get_by_text("Search and filters").click()
    search.fill("okafor")
    page.get_by_role("button", name="Show leads").click()
    expect(page.get_by_label("Search", exact=True)).to_have_value("okafor")  # open: filtered
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("James Okafor")

    page.set_viewport_size(DESKTOP)  # wider than a phone the table has its headers again
    page.goto("/staff/leads")
    expect(page.get_by_label("Search", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Owner")).to_be_visible()
    expect(page.locator("tbody tr").first.get_by_text("Owner:")).to_be_hidden()


def test_staff_sign_in_works_without_javascript(open_page, staff):
    page = open_page(viewport=TABLET, javascript=False)
    page.goto("/staff/leads")
    page.wait_for_url("**/staff/login*")
    page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, "staff-sign-in-error", full_page=False)
    sign_in(page, COORDINATOR_EMAIL)
    expect(page.get_by_role("navigation", name="Staff")).to_be_visible()


def test_deactivating_a_colleague_asks_first(open_page, app, staff):
    page = open_page(viewport=DESKTOP)
    sign_in(page, ADMIN_EMAIL)
    page.goto(f"/staff/users/{staff['coordinator'].id}")
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    page.get_by_role("button", name="Deactivate Casey Morgan").press("Enter")
    expect(page.get_by_role("button", name="Reactivate Casey Morgan")).to_be_visible()
    assert questions == ["Deactivate Casey Morgan? They are signed out everywhere at once."]
    with app.app_context():
        assert db.session.get(StaffUser, staff["coordinator"].id).active is False
