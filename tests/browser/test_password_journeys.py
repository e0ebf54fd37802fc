"""A forgotten password in a real browser: ask for a link, use it once, sign in with the new one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import OutboxMessage
from tests.browser.conftest import (
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

NEW_PASSWORD = "violet tractor harbour lamp"  # noqa: S105
LINK = re.compile(r"https?://[^/\s]+(/staff/reset-password\?token=[\w-]+)")


def assert_accessible(page, label: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{label}:\n{describe_violations(violations)}"
    scroll_width, width = no_horizontal_scroll(page)
    assert scroll_width <= width, f"{label} scrolls sideways ({scroll_width}px)"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_forgotten_password_from_sign_in_to_signed_in(open_page, app, staff, viewport):
    page = open_page(viewport=viewport)
    name = "desktop" if viewport is DESKTOP else "phone"
    page.goto("/staff/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    assert_accessible(page, "forgot-password page")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "forgot-password page with an error")

    page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If that address belongs to a staff")
    with app.app_context():
        body = db.session.execute(
            select(OutboxMessage.body).where(OutboxMessage.kind == "password_reset")
        ).scalar_one()
    link = LINK.search(body).group(1)

    page.goto(link)
    page.wait_for_url("**/staff/reset-password")  # the token leaves the address bar
    expect(page.get_by_text(COORDINATOR_EMAIL)).to_be_visible()
    assert_accessible(page, "choose-a-new-password page")
    page.locator("#password").fill("password1234")
    page.locator("#confirm").fill("password1234")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("list of common passwords")
    assert_accessible(page, "choose-a-new-password page with an error")
    screenshot(page, f"password-reset-refused-{name}")

    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")
    sign_in(page, COORDINATOR_EMAIL, NEW_PASSWORD)
    expect(page.get_by_role("navigation", name="Staff")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    assert_accessible(page, "used-link page")
