"""The inquiry form framed on another site, in Chromium with third-party cookies blocked.

Two sites: the app on http://127.0.0.1:<port> (its own gunicorn, started here with
EMBED_ALLOWED_ORIGINS naming the parent) and a parent page, a plain HTTP server reached as
http://localhost:<port> with the two-line snippet on it. 127.0.0.1 and localhost are different
sites, so the app's frame is third-party there.

Chromium here runs a normal profile (a persistent context: Playwright's ordinary contexts are
incognito-like), set to "Block third-party cookies" (the profile preference behind Chrome's
setting, cookie_controls_mode 1) and started with --test-third-party-cookie-phaseout. A cookie
the frame's site set, SameSite=None, is sent to the frame in a profile that allows third-party
cookies (the control test), and not in this one: so the frame demonstrably works with no cookie.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Inquiry, Lead
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, _wait_until_serving

BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"
# Chrome's cookie setting: 0 allows third-party cookies, 1 blocks them.
COOKIE_CONTROLS_MODE = {False: 0, True: 1}
SHOTS = Path(os.environ.get("CLINIC_SHOTS_DIR", ROOT / "tests" / "screenshots"))
PARENT_PATH = "/treatments/lupus?utm_source=wordpress&utm_campaign=spring-2027&email=x@example.com"


class ParentSite(http.server.BaseHTTPRequestHandler):
    """The clinic's own site (WordPress, say): a page with the snippet pasted in."""

    app_url = ""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Lupus treatment · Northfield clinic</title></head>
<body style="margin:0;font-family:Georgia,serif;background:#f4efe6">
<header style="padding:1rem 1.5rem;background:#2d2a26;color:#fff">
Northfield clinic (our WordPress site)</header>
<div style="max-width:60rem;margin:0 auto;padding:1rem">
<h1>Lupus: what we offer</h1><p>Ask us anything about the treatment below.</p>
<div data-clinic-inquiry data-condition="lupus">
<a href="{self.app_url}/inquire">Request a consultation</a></div>
<script src="{self.app_url}/static/js/embed.js" async></script>
<p>Footer of the clinic's site.</p></div></body></html>"""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        return


@pytest.fixture(scope="module")
def parent_ports() -> dict[str, int]:
    return {"allowed": _free_port(), "refused": _free_port()}


@pytest.fixture(scope="module")
def embed_app_url(database_url, parent_ports, tmp_path_factory):
    """The app under gunicorn, allowing http://localhost:<allowed port> to frame the form."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}")
    port = _free_port()
    log = tmp_path_factory.mktemp("embed-gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "CLINIC_CONFIG": "testing",
        "TEST_DATABASE_URL": database_url,
        "DATABASE_URL": database_url,
        "EMBED_ALLOWED_ORIGINS": f"http://localhost:{parent_ports['allowed']}",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [*command, "wsgi:app"], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def parent_site(embed_app_url, parent_ports):
    """The parent page on both ports: the allowed origin and one the app doesn't name."""
    handler = type("Parent", (ParentSite,), {"app_url": embed_app_url})
    servers = []
    for port in parent_ports.values():
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield {name: f"http://localhost:{port}" for name, port in parent_ports.items()}
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def profile(tmp_path, embed_app_url, playwright_driver):
    """A fresh normal Chromium profile: `profile(block=True)` blocks third-party cookies. The
    app's site has set a SameSite=None cookie in it, the kind a frame would otherwise get."""
    playwright = playwright_driver
    contexts = []

    def open_(*, block: bool, width: int = 1366):
        args = [*CHROMIUM_ARGS, *([BLOCK_THIRD_PARTY_COOKIES] if block else [])]
        folder = tmp_path / f"profile-{len(contexts)}"
        (folder / "Default").mkdir(parents=True)
        preferences = {"profile": {"cookie_controls_mode": COOKIE_CONTROLS_MODE[block]}}
        (folder / "Default" / "Preferences").write_text(json.dumps(preferences))
        context = playwright.chromium.launch_persistent_context(
            str(folder),
            executable_path=str(CHROMIUM),
            headless=True,
            args=args,
            viewport={"width": width, "height": 900},
            locale="en-US",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        # Set first-party, as the clinic's site would (Playwright's add_cookies drops a Secure
        # cookie for an http:// address; Chromium keeps one set by 127.0.0.1 itself).
        page.goto(embed_app_url + "/healthz")
        page.evaluate(
            "document.cookie = 'probe=set-by-the-clinic-site; SameSite=None; Secure; Path=/'"
        )
        assert "probe" in [c["name"] for c in context.cookies(embed_app_url)]
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        page.failed = []
        page.on(
            "response",
            lambda response: response.status >= 400 and page.failed.append(response.url),
        )
        page.frame_cookies = []

        def note_cookie(request):
            if "/embed/inquire" in request.url:
                page.frame_cookies.append((request.method, request.all_headers().get("cookie")))

        page.on("requestfinished", note_cookie)
        return page

    yield open_
    for context in contexts:
        context.close()


def form_frame(page):
    page.wait_for_selector("iframe[title='Request a consultation']")
    return page.frame_locator("iframe[title='Request a consultation']")


def shot(page, name: str) -> None:
    """The whole page: a window as tall as it (a full-page capture leaves a cross-site frame's
    part below the window unpainted)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": page.evaluate("document.body.scrollHeight")})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 900})


def test_without_the_switch_the_frame_would_get_the_cookie(app, profile, parent_site):
    """The control: in this profile a third-party frame is sent the site's cookie."""
    page = profile(block=False)
    page.goto(parent_site["allowed"] + PARENT_PATH)
    form_frame(page).get_by_label("Full name").wait_for()
    assert page.frame_cookies == [("GET", "probe=set-by-the-clinic-site")]


def test_the_embedded_form_is_sent_with_third_party_cookies_blocked(
    app, profile, parent_site, embed_app_url
):
    page = profile(block=True)
    page.goto(parent_site["allowed"] + PARENT_PATH)
    frame = form_frame(page)
    frame.get_by_label("Full name").wait_for()
    # The frame has no cookie and no way to one.
    inner = next(f for f in page.frames if f.url.startswith(embed_app_url))
    assert inner.evaluate("document.hasStorageAccess()") is False
    assert inner.evaluate("document.cookie") == ""
    # The frame grew to its content (embed_frame.js told the page its height).
    page.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 1000")
    shot(page, "h-api-embed-parent-1366")

    frame.get_by_label("Full name").fill("Ada Example")
    frame.get_by_label("Email address").fill("ada.example@example.com")
    frame.get_by_label("Phone number").fill("(212) 555-0187")
    assert frame.get_by_label("Condition you are asking about").input_value() == "lupus"
    frame.get_by_label("Your question").fill("Is there a trial I could join?")
    frame.get_by_label("Phone call").check()
    frame.get_by_label("I agree that the clinic may store").check()
    frame.get_by_role("button", name="Send my inquiry").click()

    frame.get_by_role("heading", name="Thanks, we have your inquiry").wait_for()
    page.wait_for_timeout(300)  # the frame's new height reaches the page
    shot(page, "h-api-embed-thanks")
    reference = frame.locator(".sent-reference__code").inner_text()

    assert page.frame_cookies == [("GET", None), ("POST", None)]
    # Chromium asks the parent site for its icon; anything else failing is the form's problem.
    failed = [url for url in page.failed if not url.endswith("/favicon.ico")]
    assert failed == []
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
    with app.app_context():
        inquiry = db.session.execute(select(Inquiry)).scalar_one()
        assert inquiry.reference == reference
        assert inquiry.channel == "embed"
        assert inquiry.submitted_from == parent_site["allowed"] + "/treatments/lupus"
        assert (inquiry.utm_source, inquiry.utm_campaign) == ("wordpress", "spring-2027")
        assert inquiry.condition_slug == "lupus" and inquiry.phone == "+12125550187"
        assert db.session.get(Lead, inquiry.lead_id).source == "embed"


def test_on_a_phone_the_form_fits_the_page(app, profile, parent_site):
    page = profile(block=True, width=390)
    page.goto(parent_site["allowed"] + PARENT_PATH)
    form_frame(page).get_by_label("Full name").wait_for()
    page.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 1000")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    shot(page, "h-api-embed-parent-390")


def test_a_site_not_allowed_cannot_frame_it(app, profile, parent_site, embed_app_url):
    with urllib.request.urlopen(embed_app_url + "/embed/inquire") as response:  # noqa: S310
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] is None
    assert f"frame-ancestors 'self' {parent_site['allowed']};" in policy
    assert parent_site["refused"] not in policy

    page = profile(block=True)
    page.goto(parent_site["refused"] + PARENT_PATH)
    page.wait_for_selector("iframe")
    page.wait_for_timeout(500)
    assert any("frame-ancestors" in error for error in page.console_errors), page.console_errors
    framed = [f for f in page.frames if f != page.main_frame]
    assert framed and framed[0].locator("form").count() == 0
