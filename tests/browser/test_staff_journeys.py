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
from clinic.models import Appointment, Lead, LeadEvent, StaffUser
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
# A common phone screen (390 × 844 CSS px): its first screen is what "on the first screen" means.
PHONE_TALL = {"width": 390, "height": 844}


def submit_with_keyboard(form) -> None:
    """Focus the form's submit button and press Enter, as a keyboard user does."""
    button = form.locator("button[type='submit'], input[type='submit']").first
    button.focus()
    button.press("Enter")


def test_coordinator_finds_a_lead_and_records_a_call_with_its_next_steps_in_one_form(
    open_page, app, staff, seeded_leads
):
    page = open_page(viewport=DESKTOP)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/leads?owner=anyone")  # Maria is new and nobody's yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_role("link", name="Maria Delgado", exact=True)).to_be_visible()
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
    rows.first.get_by_role("link", name="Maria Delgado", exact=True).press("Enter")

    lead_id = seeded_leads["Maria Delgado"]
    page.wait_for_url(f"**/staff/leads/{lead_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Delgado")
    expect(page.locator(".lead-contact")).to_contain_text("maria.delgado@example.com")

    # Record the call in one step, by keyboard: the channel starts on the preferred one (a
    # call), no outcome is chosen in advance, and the consultation is asked for with the stage.
    step = page.locator("form.contact-step")
    channel = step.get_by_role("radio", name="Phone call")
    expect(channel).to_be_checked()
    expect(step.get_by_role("radio", name="Sent")).to_be_hidden()  # an email's or a text's
    for outcome in ("Reached", "No answer", "Left voicemail", "Wrong number"):
        expect(step.get_by_role("radio", name=outcome)).not_to_be_checked()
    channel.focus()
    page.keyboard.press("Tab")  # into the outcomes, which have no choice yet
    expect(step.get_by_role("radio", name="Reached")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(step.get_by_label("Note")).to_be_focused()
    page.keyboard.type("Talked through the lupus trial results.")
    consultation = step.locator("fieldset.appointment-fields")
    expect(consultation).to_be_hidden()
    step.get_by_label("Status", exact=True).focus()
    page.keyboard.press("ArrowDown")  # New -> Contacted
    page.keyboard.press("ArrowDown")  # Contacted -> Consult booked
    expect(step.get_by_label("Status", exact=True)).to_have_value("consult_booked")
    expect(consultation).to_be_visible()
    consult_day = clinic_today_in(app) + timedelta(days=1)
    consultation.get_by_label("Consultation date").fill(consult_day.isoformat())
    consultation.get_by_label("Start time").fill("10:00")
    consultation.get_by_label("How it happens").select_option("video")
    follow_up_on = clinic_today_in(app) + timedelta(days=3)
    step.get_by_label("Next follow-up").focus()
    page.keyboard.type(follow_up_on.strftime("%m%d%Y"))  # month, day, year segments (en-US)
    expect(step.get_by_label("Next follow-up")).to_have_value(follow_up_on.isoformat())
    submit_with_keyboard(step)
    confirmation = page.get_by_role("status")
    expect(confirmation).to_contain_text("Phone call logged (reached); attempt 1.")
    expect(confirmation).to_contain_text("Status is now Consult booked.")
    expect(confirmation).to_contain_text("Consultation booked:")

    # One timeline item holds the whole step; the consultation is listed with its words.
    first_item = page.locator("#timeline .timeline__item").first
    expect(first_item).to_contain_text("Phone call: Reached")
    expect(first_item).to_contain_text("Talked through the lupus trial results.")
    expect(first_item).to_contain_text("to Consult booked")
    expect(first_item).to_contain_text(f"Next follow-up {follow_up_on:%a %-d %b %Y}")
    expect(page.locator("#appointments")).to_contain_text("Tomorrow at 10:00")
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
            ("appointment", None, None, None),
            ("follow_up", None, None, None),
        ]
        [consult] = db.session.execute(select(Appointment)).scalars()
        assert (consult.lead_id, consult.kind, consult.status) == (lead_id, "video", "booked")


def test_the_lead_record_on_a_phone_shows_who_how_to_reach_and_the_question_first(
    open_page, staff, seeded_leads
):
    """The first screen of a phone holds the name, the links to call or email, and the
    person's question in full; the contact form follows."""
    page = open_page(viewport=PHONE_TALL)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto(f"/staff/leads/{seeded_leads['Maria Delgado']}")
    question = page.locator(".lead-question .message")
    for part in (
        page.get_by_role("heading", level=1, name="Maria Delgado"),
        page.get_by_role("link", name="Call +1 212-555-0147"),
        page.get_by_role("link", name="Email maria.delgado@example.com"),
        question,
    ):
        expect(part).to_be_in_viewport(ratio=1)
    expect(question).to_contain_text("Is there a trial I could join?")
    expect(page.get_by_text("No texts (not agreed to text messages)")).to_be_visible()
    assert no_horizontal_scroll(page)[0] <= PHONE_TALL["width"]
    screenshot(page, "staff-lead-record-phone", full_page=False)


def test_the_contact_form_works_without_javascript(open_page, app, staff, seeded_leads):
    """Without scripts every outcome and the consultation's fields show, and the server checks
    that the outcome fits the channel."""
    page = open_page(viewport=DESKTOP, javascript=False)
    sign_in(page, COORDINATOR_EMAIL)
    lead_id = seeded_leads["James Okafor"]
    page.goto(f"/staff/leads/{lead_id}")
    step = page.locator("form.contact-step")
    expect(step.get_by_role("radio", name="Sent")).to_be_visible()
    expect(step.locator("fieldset.appointment-fields")).to_be_visible()
    step.get_by_role("radio", name="Sent").check()  # the channel is still "Phone call"
    step.get_by_role("button", name="Save the contact").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Choose what happened with the phone call: reached, no answer, left voicemail, "
        "wrong number."
    )
    with app.app_context():
        assert db.session.get(Lead, lead_id).attempts == 0


def clinic_today_in(app):
    with app.app_context():
        return clock.today()


def test_admin_exports_the_filtered_leads_as_csv(open_page, app, staff, seeded_leads):
    page = open_page(viewport=DESKTOP, accept_downloads=True)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/leads?condition=lupus&status=all")
    expect(page.locator("table.leads-table tbody tr")).to_have_count(2)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these leads as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    assert sorted(row["Name"] for row in rows) == ["Aisha Rahman", "Maria Delgado"]
    maria = next(row for row in rows if row["Name"] == "Maria Delgado")
    assert (maria["Email"], maria["Phone"], maria["Condition"], maria["Status"]) == (
        "maria.delgado@example.com",
        "'+12125550147",  # a leading + would start a spreadsheet formula, so it is quoted
        "Lupus",
        "New",
    )
    assert "hydroxychloroquine" in maria["Latest message"]


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
    # Hand both new leads to the admin: the bar above the list, pinned with its count, then a
    # confirmation page before anything changes, then an Undo offer.
    bar = page.locator("fieldset.bulk-actions")
    expect(bar).to_have_class(re.compile("bulk-actions--sticky"))
    expect(bar).to_contain_text("(2 selected)")
    page.get_by_label("Assign to").select_option(label="Alex Rivera")
    page.get_by_role("button", name="Assign selected").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign 2 leads to Alex Rivera?")
    with app.app_context():
        owners = (
            db.session.execute(select(Lead.owner_id).where(Lead.status == "new")).scalars().all()
        )
        assert owners == [None] * 2
    page.get_by_role("button", name="Assign 2 leads to Alex Rivera").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Assigned 2 leads to Alex Rivera.")
    expect(page.get_by_role("button", name="Undo this bulk change")).to_be_visible()
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
    expect(first_card.get_by_role("link", name="Maria Delgado", exact=True)).to_be_in_viewport()
    expect(first_card).to_contain_text("Owner: Unassigned")
    expect(first_card).to_contain_text("Source: direct")
    for words in ("Owner:", "Source:", "0 attempts", "received"):
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
