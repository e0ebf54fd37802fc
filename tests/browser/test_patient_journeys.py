"""Patients in a real browser: reading an article and sending the form by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Inquiry, Lead
from tests.browser.conftest import PHONE, accessible_tree, screenshot

pytestmark = pytest.mark.browser


def tab_until(page, selector: str, *, limit: int = 40, key: str = "Tab") -> int:
    """Press Tab until the focused element matches `selector`; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{selector} never took focus after {limit} Tabs (last: {focused})")


def test_patient_reads_lupus_article_and_sends_the_form_with_the_keyboard_only(open_page, app):
    page = open_page(viewport=PHONE)
    page.goto("/conditions/lupus")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lupus")
    expect(page.get_by_role("navigation", name="On this page")).to_be_visible()
    expect(page.get_by_role("heading", name="References")).to_be_attached()

    # The first Tab reaches the skip link; the article's own call to action jumps to the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    tab_until(page, "a[href='#inquire']")
    page.keyboard.press("Enter")
    tab_until(page, "#name", limit=3)

    page.keyboard.type("Rosa Castellanos")
    tab_until(page, "#email", limit=1)
    page.keyboard.type("rosa.castellanos@example.com")
    tab_until(page, "#phone", limit=2)
    page.keyboard.type("212 555 0188")
    tab_until(page, "#condition", limit=2)
    assert page.evaluate("document.activeElement.value") == "lupus"  # chosen by the article
    tab_until(page, "#message", limit=2)
    page.keyboard.type("I was diagnosed in 2018. Could we talk about the trials?")
    tab_until(page, "input[name='preferred_contact']", limit=2)
    # Nothing is chosen beforehand: Tab reaches the first choice, Space chooses it.
    assert page.evaluate("document.activeElement.value") == "phone"
    assert page.evaluate("document.activeElement.checked") is False
    page.keyboard.press("Space")
    tab_until(page, "#best_time", limit=2)
    page.keyboard.press("ArrowDown")  # Any time -> Morning
    tab_until(page, "input[name='payment']", limit=2)
    page.keyboard.press("ArrowDown")  # Not sure yet -> Self-pay
    tab_until(page, "#consent", limit=2)
    page.keyboard.press("Space")
    screenshot(page, "phone-lupus-form-filled", full_page=False)
    tab_until(page, "button[type='submit']", limit=4)
    page.keyboard.press("Enter")

    page.wait_for_url("**/inquire/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your inquiry")
    expect(page.locator(".lede")).to_contain_text("A patient coordinator will call you")
    reference = page.locator(".sent-reference__code").inner_text()
    screenshot(page, "phone-thanks")

    with app.app_context():
        lead = db.session.execute(
            select(Lead).where(Lead.email == "rosa.castellanos@example.com")
        ).scalar_one()
        inquiry = db.session.execute(select(Inquiry).where(Inquiry.lead_id == lead.id)).scalar_one()
        assert (lead.name, lead.phone, lead.condition_slug) == (
            "Rosa Castellanos",
            "+12125550188",
            "lupus",
        )
        assert (lead.best_time, lead.payment, lead.preferred_contact) == (
            "morning",
            "self_pay",
            "phone",
        )
        assert inquiry.message == "I was diagnosed in 2018. Could we talk about the trials?"
        assert inquiry.submitted_from == "/conditions/lupus"
        assert inquiry.reference == reference

    # Shown once: opened again, the page leads back to the form.
    page.goto("/inquire/thanks")
    expect(page).to_have_url(re.compile(r"/inquire$"))


def test_invalid_inquiry_shows_errors_a_screen_reader_finds(open_page, app):
    page = open_page(viewport=PHONE)
    page.goto("/inquire")
    page.get_by_label("Full name").fill("")
    page.get_by_label("Email address").fill("rosa at example")
    page.get_by_role("button", name="Send my inquiry").press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text(
        re.compile(r"Please check these \d answers")
    )
    # The script moves focus to the summary so a screen reader reads it first. It is deferred:
    # it runs a moment after the summary shows (this once failed under load), so wait for it.
    expect(page.locator("#error-summary")).to_be_focused()

    name = page.get_by_role("textbox", name="Full name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Error: Please tell us your name."))
    email = page.get_by_role("textbox", name="Email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("rosa at example")  # nothing typed is lost
    consent = page.get_by_role("checkbox", name=re.compile("I agree that the clinic may store"))
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(consent).to_have_accessible_description(re.compile("Please tick the consent box"))
    for control in (name, email, consent):
        described_by = control.get_attribute("aria-describedby").split()
        texts = [page.locator(f"#{id_}").inner_text() for id_ in described_by]
        assert any(text.startswith("Error:") for text in texts), texts

    tree = accessible_tree(page)
    assert re.search(r'- alert "Please check these \d answers"', tree), tree
    assert 'link "Please tell us your name."' in tree, tree

    # Each summary link takes keyboard focus to its field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Please tell us your name."
    page.keyboard.press("Enter")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type("Rosa Castellanos")

    with app.app_context():
        assert db.session.execute(select(Lead)).first() is None


def test_patient_without_javascript_sees_errors_then_sends_the_form(open_page, app):
    page = open_page(javascript=False)
    page.goto("/inquire?condition=copd")
    expect(page.get_by_label("Condition you are asking about")).to_have_value("copd")
    page.get_by_label("Full name").fill("Walter Brennan")
    page.get_by_label("Email address").fill("walter.brennan@example.com")
    page.get_by_role("radio", name="Email").check()
    page.get_by_role("button", name="Send my inquiry").click()

    expect(page.get_by_role("alert")).to_contain_text("Please tick the consent box")
    expect(page.get_by_label("Full name")).to_have_value("Walter Brennan")
    page.get_by_role("checkbox", name=re.compile("I agree that the clinic may store")).check()
    page.get_by_role("button", name="Send my inquiry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your inquiry")
    expect(page.locator(".lede")).to_contain_text("A patient coordinator will email you")
    with app.app_context():
        lead = db.session.execute(select(Lead)).scalar_one()
        assert (lead.name, lead.email, lead.phone, lead.condition_slug) == (
            "Walter Brennan",
            "walter.brennan@example.com",
            None,
            "copd",
        )
