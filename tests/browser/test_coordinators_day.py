"""A coordinator's day in a real browser: Today opens on their own work (on a phone, the next
thing to do fills the first screen, with a button to call), and the inbox on their own leads,
one click from everyone's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DESKTOP,
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser
PHONE_390 = {"width": 390, "height": 844}


def test_today_on_a_phone_starts_with_the_next_thing_to_do(open_page, staff, seeded_leads):
    page = open_page(viewport=PHONE_390)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/")
    next_up = page.locator(".next-action")
    # Aisha's follow-up (yesterday) is the coordinator's most overdue: first thing to do.
    expect(next_up.get_by_role("heading", level=2)).to_have_text(
        "Next: follow up with Aisha Rahman"
    )
    expect(next_up).to_contain_text("Follow-up overdue 1 day")
    call = next_up.get_by_role("link", name="Call Aisha Rahman on +1 718-555-0165")
    expect(call).to_have_attribute("href", "tel:+17185550165")
    expect(call).to_be_in_viewport()
    box = call.bounding_box()
    assert box["y"] + box["height"] <= PHONE_390["height"] and box["height"] >= 44
    assert no_horizontal_scroll(page)[0] <= PHONE_390["width"]
    screenshot(page, "staff-today-phone", full_page=False)

    titles = page.locator(".today__lists h2").all_inner_texts()
    assert [title.split(" ")[0:3] for title in titles] == [
        ["My", "new", "leads"],
        ["My", "follow-ups", "due"],
        ["My", "consultations", "today"],
        ["New", "leads", "nobody"],
    ]
    follow_ups = page.locator("section", has=page.locator("#follow-ups-title"))
    expect(follow_ups).to_contain_text("Follow-up due today")  # Helen Park's
    page.set_viewport_size(DESKTOP)
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "staff-today")


def test_the_inbox_opens_on_my_leads_and_remembers_everyone(open_page, app, staff, seeded_leads):
    page = open_page(viewport=DESKTOP)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/leads")
    whose = page.get_by_role("navigation", name="Whose leads")
    expect(whose.locator('[aria-current="page"]')).to_have_text("Mine")
    expect(page.get_by_role("link", name="Helen Park", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Maria Delgado", exact=True)).to_have_count(0)
    # The bulk actions come before the rows.
    bar = page.locator("fieldset.bulk-actions").bounding_box()
    first_row = page.locator("table.leads-table tbody tr").first.bounding_box()
    assert bar["y"] < first_row["y"]

    whose.get_by_role("link", name="Everyone").click()
    page.wait_for_url(re.compile(r"/staff/leads\?owner=anyone$"))
    expect(page.get_by_role("link", name="Maria Delgado", exact=True)).to_be_visible()
    page.goto("/staff/leads")  # a plain visit later: still everyone's
    expect(whose.locator('[aria-current="page"]')).to_have_text("Everyone")
    expect(page.get_by_label("Owner")).to_have_value("anyone")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_an_admins_inbox_opens_on_everyones_leads(open_page, staff, seeded_leads):
    page = open_page(viewport=PHONE_390)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/leads")
    whose = page.get_by_role("navigation", name="Whose leads")
    expect(whose.locator('[aria-current="page"]')).to_have_text("Everyone")
    first_card = page.locator("tbody tr").first
    expect(first_card.get_by_role("link", name="Maria Delgado", exact=True)).to_be_in_viewport()
    assert no_horizontal_scroll(page)[0] <= PHONE_390["width"]
    screenshot(page, "staff-inbox-admin-phone", full_page=False)
