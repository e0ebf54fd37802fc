"""Browser fixtures: the app under gunicorn on a free loopback port, driven by headless Chromium.

The server runs the real WSGI entry point (`wsgi:app`) with the testing configuration against
the suite's migrated, content-synced database, so a test can act in the browser and then check
the rows with the ordinary `app` fixture. Tables are emptied between tests by that fixture, so
every test that needs people or leads asks for them (`staff`, `seeded_leads`).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from clinic import clock
from clinic.extensions import db
from clinic.leads import actions, intake
from clinic.models import StaffUser, utcnow
from tests.staff_helpers import DEFAULT_PASSWORD, make_staff

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
TABLET = {"width": 768, "height": 1024}

COORDINATOR_EMAIL = "casey.morgan@clinic.test"
ADMIN_EMAIL = "alex.rivera@clinic.test"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory) -> Iterator[str]:
    """The base URL of gunicorn serving `wsgi:app` on the suite's database; stopped by its pid."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}: run `make browser-deps` as root to install it")
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "CLINIC_CONFIG": "testing",
        "TEST_DATABASE_URL": database_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [*command, "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright per test process: a second sync one can't start while this one runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(live_server, playwright_driver):
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


class PageProblems:
    """Script errors, console errors (CSP refusals among them) and failed stylesheets, scripts
    or images seen by a page. A page answered with 404 or 422 on purpose is not a problem."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} for {response.url}")


@pytest.fixture
def open_page(browser, live_server, app):
    """Open a fresh browser context: `open_page(viewport=PHONE, javascript=True, bypass_csp=False)`.

    Returns the Playwright page, with `page.problems` collecting console errors; the test fails
    if the page logged any (a Content-Security-Policy refusal is a console error). Depends on
    `app` so the database is emptied before the test and the test can check rows afterwards.
    """
    contexts = []
    pages = []

    def open_(*, viewport=DESKTOP, javascript=True, bypass_csp=False, **options):
        context = browser.new_context(
            base_url=live_server,
            viewport=viewport,
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            locale="en-US",
            timezone_id="America/New_York",
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = PageProblems(page)
        # Forms marked data-confirm ask first (clinic.js); a test that submits one means it.
        page.on("dialog", lambda dialog: dialog.accept())
        pages.append(page)
        return page

    yield open_
    problems = [error for page in pages for error in page.problems.errors]
    for context in contexts:
        context.close()
    assert not problems, f"the browser console reported errors: {problems}"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under tests/screenshots/ (gitignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.x A/AA rules on the page; the serious and critical violations.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern, so the page is checked exactly as patients get it (CSP on). Injecting it
    as a <script> tag instead would need a context opened with `bypass_csp=True`.
    """
    if not AXE_SCRIPT.exists():
        pytest.skip(f"axe-core missing at {AXE_SCRIPT}: run `make browser-deps` (npm ci)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                             'wcag22aa', 'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text() + "\n;undefined"


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return "\n".join(lines) or "none"


@pytest.fixture
def staff(app):
    """A coordinator and an admin, both able to sign in with DEFAULT_PASSWORD."""
    with app.app_context():
        coordinator = make_staff(COORDINATOR_EMAIL, name="Casey Morgan")
        admin = make_staff(ADMIN_EMAIL, role="admin", name="Alex Rivera")
        return {"coordinator": coordinator, "admin": admin}


# Fictional people: 555-01xx numbers and example.com addresses reach no one. Phones are stored
# as the form stores them (E.164).
FICTIONAL_LEADS = [
    ("Maria Delgado", "maria.delgado@example.com", "+12125550147", "lupus", "new", 0),
    ("James Okafor", "james.okafor@example.com", "+16465550182", "multiple-sclerosis", "new", 1),
    ("Helen Park", "helen.park@example.org", None, "knee-osteoarthritis", "contacted", 2),
    ("Robert Lindqvist", None, "+19175550123", "copd", "consult_booked", 3),
    ("Aisha Rahman", "aisha.rahman@example.net", "+17185550165", "lupus", "consult_done", 5),
    (
        "Tomás Herrera",
        "tomas.herrera@example.com",
        "+13475550119",
        "parkinsons-disease",
        "treatment_booked",
        8,
    ),
    (
        "Grace Whitfield",
        "grace.w@example.com",
        "+12125550134",
        "rheumatoid-arthritis",
        "not_a_candidate",
        12,
    ),
    ("Daniel Brooks", "d.brooks@example.org", "+16465550171", "other", "lost", 20),
]

MESSAGES = {
    "lupus": "I have had lupus for six years and take hydroxychloroquine. "
    "Is there a trial I could join?",
    "multiple-sclerosis": "My neurologist mentioned stem cell research. What does it involve?",
    "copd": "Please call me about the consultation fee.",
}


# Next follow-ups, in days from today (negative: overdue).
FOLLOW_UP_IN_DAYS = {"Helen Park": 0, "Robert Lindqvist": 2, "Aisha Rahman": -1}


@pytest.fixture
def seeded_leads(app, staff) -> dict[str, int]:
    """A realistic inbox: eight fictional leads across the pipeline; name -> lead id.

    The two newest are new and unassigned; the others were called, moved on and given to the
    coordinator through the same pipeline actions staff use, so their timelines are real.
    """
    ids = {}
    now = utcnow()
    with app.app_context():
        coordinator = db.session.get(StaffUser, staff["coordinator"].id)
        admin = db.session.get(StaffUser, staff["admin"].id)
        for name, email, phone, condition, status, days_ago in FICTIONAL_LEADS:
            received = now - timedelta(days=days_ago, hours=days_ago % 5)
            result = intake.record_inquiry(
                intake.InquiryData(
                    name=name,
                    email=email,
                    phone=phone,
                    condition_slug=condition,
                    message=MESSAGES.get(condition, ""),
                    preferred_contact="phone" if phone else "email",
                    best_time="morning",
                    payment="not_sure",
                    attribution=intake.Attribution(utm_source="newsletter")
                    if days_ago % 2
                    else intake.Attribution(),
                ),
                now=received,
            )
            lead = result.lead
            ids[name] = lead.id
            if status == "new":
                continue
            actions.assign_owner(lead, coordinator, admin, now=received + timedelta(minutes=5))
            actions.log_contact(
                lead, "call", "reached", coordinator, now=received + timedelta(minutes=40)
            )
            actions.change_status(
                lead,
                status,
                coordinator,
                lost_reason="cost" if status == "lost" else None,
                now=received + timedelta(hours=1),
            )
            if name in FOLLOW_UP_IN_DAYS:
                on = clock.today() + timedelta(days=FOLLOW_UP_IN_DAYS[name])
                actions.set_follow_up(lead, on, coordinator, now=received + timedelta(hours=1))
            db.session.commit()
    return ids


def sign_in(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Sign in through the form with the keyboard, as a person would."""
    page.goto("/staff/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/**")
    assert "/staff/login" not in page.url, page.content()


def no_horizontal_scroll(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def accessible_tree(page) -> str:
    """The page's accessibility tree as YAML (Playwright's aria snapshot of <body>)."""
    return page.locator("body").aria_snapshot()


def as_json(value) -> str:
    return json.dumps(value, indent=1, default=str)
