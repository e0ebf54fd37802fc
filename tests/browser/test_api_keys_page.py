"""An admin makes an API key in the browser: shown once, ready to copy; the page passes axe."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import (
    ADMIN_EMAIL,
    PHONE,
    ROOT,
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    sign_in,
)

SHOTS = Path(os.environ.get("CLINIC_SHOTS_DIR", ROOT / "tests" / "screenshots"))


def test_an_admin_makes_a_key_and_copies_it(open_page, staff):
    page = open_page()
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/settings/api-keys")
    page.get_by_label("Name").fill("Call-centre booking tool")
    page.get_by_label("Source shown on its leads").fill("call-centre")
    page.get_by_role("button", name="Make the key").click()

    page.get_by_role("heading", name="Key “Call-centre booking tool” made: copy it now").wait_for()
    secret = page.get_by_label("The new key").input_value()
    assert secret.startswith("clk_")
    assert page.get_by_role("row", name="Call-centre booking tool").count() == 1
    assert describe_violations(axe_violations(page)) == "none"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "h-api-api-keys-1366.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "h-api-api-keys-390.png"), full_page=True)
    scroll_width, window_width = no_horizontal_scroll(page)
    assert scroll_width <= window_width

    page.goto("/staff/settings/api-keys")
    assert secret not in page.content()


def test_the_website_form_page_previews_the_form(open_page, staff):
    page = open_page()
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/settings/website-form")
    preview = page.frame_locator("iframe[title='Request a consultation']")
    preview.get_by_label("Full name").wait_for()
    assert "data-clinic-inquiry" in page.locator("#snippet").inner_text()
    assert describe_violations(axe_violations(page)) == "none"
    page.screenshot(path=str(SHOTS / "h-api-website-form-1366.png"), full_page=True)
