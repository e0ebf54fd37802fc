"""Two-step sign-in in a real browser: the QR code shows under the strict CSP, and the set-up,
recovery-code and code pages pass axe and fit a phone."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

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
from tests.staff_helpers import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def check_page(page, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    scroll_width, width = no_horizontal_scroll(page)
    assert scroll_width <= width, f"{name} scrolls sideways at {width}px"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_setting_up_and_signing_in_with_a_code(open_page, staff):
    page = open_page(viewport=DESKTOP)
    sign_in(page, COORDINATOR_EMAIL)
    page.goto("/staff/account")
    page.get_by_role("button", name="Set up two-step sign-in").click()
    qr_code = page.get_by_role("img", name="QR code for adding your")
    expect(qr_code).to_be_visible()
    assert qr_code.bounding_box()["width"] >= 150
    check_page(page, "two-factor-setup")

    secret = pyotp.TOTP(page.locator(".two-factor-secret code").inner_text().replace(" ", ""))
    # The live server's clock runs: set up with the code of this 30-second step and sign in
    # with the next one, which the server takes (one step of drift is allowed) and which is
    # newer than the spent one, whichever step the server is in by then.
    now = time.time()
    page.get_by_label("Code from your app").fill(secret.at(now))
    page.get_by_role("button", name="Switch on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert page.locator(".recovery-codes code").count() == 10
    check_page(page, "two-factor-recovery-codes")

    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Recovery codes left: 10 of 10.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.goto("/staff/login")
    page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Type your sign-in code")).to_be_visible()
    check_page(page, "two-factor-code")
    page.get_by_label("Sign-in code").fill(secret.at(now + 30))
    page.get_by_label("Sign-in code").press("Enter")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
