"""An admin imports leads in the browser: upload, match the columns, preview with problems,
dry run, progress (with and without JavaScript), the list of imports, undo. The pages pass axe
and fit a phone's width; screenshots go to CLINIC_SHOTS_DIR (tests/screenshots by default)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import Lead
from tests.browser.conftest import (
    ADMIN_EMAIL,
    ROOT,
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    sign_in,
)
from tests.lead_helpers import make_lead

SHOTS = Path(os.environ.get("CLINIC_SHOTS_DIR", ROOT / "tests" / "screenshots"))
WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}
FILE = (
    "Full name,E-mail,Mobile,Condition,Status,Created,Notes,utm_source\r\n"
    "Zoë Núñez,zoe.nunez@example.com,(212) 555-0142,Lupus,Contacted,2025-03-04 09:30,"
    "Asked about costs,fair\r\n"
    "Ada Stored,ada@example.com,(212) 555-0100,COPD,,2025-05-01,,\r\n"
    "Ada Lovell,ada@example.com,(212) 555-0199,COPD,,2025-05-06,,\r\n"
    ",nobody@example.com,,Lupus,,,,\r\n"
    "Hot Lead,hot@example,,Knee pain,Hot,,,\r\n"
    "Sam Okafor,sam.okafor@example.com,+1 212 555 0177,Multiple sclerosis,New,2025-06-01,,\r\n"
)


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"h-import-{name}.png"), full_page=True)


def _check(page, name: str, *, axe: bool = True) -> None:
    """Axe (it needs JavaScript), a screenshot at 1366 px, then at 390 px without sideways
    scrolling."""
    if axe:
        assert describe_violations(axe_violations(page)) == "none"
    page.set_viewport_size(WIDE)
    _shoot(page, f"{name}-1366")
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(150)
    _shoot(page, f"{name}-390")
    scroll_width, window_width = no_horizontal_scroll(page)
    assert scroll_width <= window_width
    page.set_viewport_size(WIDE)


def _upload(page, tmp_path: Path) -> None:
    path = tmp_path / "old-crm-export.csv"
    path.write_bytes(FILE.encode("cp1252"))
    page.goto("/staff/leads")
    page.get_by_role("link", name="Import leads").click()
    page.get_by_label("Spreadsheet file").set_input_files(str(path))
    page.get_by_label("Where these leads came from").fill("Old CRM")
    page.get_by_role("button", name="Upload and match the columns").click()
    page.get_by_role("heading", name="1. Match the columns").wait_for()


def test_an_admin_imports_a_file_and_undoes_it(app, open_page, staff, tmp_path):
    with app.app_context():
        stored_id = make_lead("Ada Stored", email="ada@example.com", phone="(212) 555-0100").id
    page = open_page(viewport=WIDE)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/import")
    _check(page, "upload")

    _upload(page, tmp_path)
    assert page.get_by_text("it was read as Windows-1252").count() == 1
    assert page.get_by_role("rowheader", name="Zoë Núñez").count() == 1
    assert page.get_by_role("link", name=f"lead #{stored_id}").count() == 2  # joins; possibly
    assert page.get_by_text("“Hot” is not a stage here").count() == 1
    _check(page, "mapping-preview")

    page.get_by_role("button", name="Run the dry run").click()
    page.get_by_role("button", name="Import 4 rows").wait_for()
    assert page.get_by_role("link", name="Download the 2 refused rows").count() == 1
    _check(page, "dry-run")

    # Without JavaScript the progress page waits for its button; with it, it carries on alone.
    plain = open_page(viewport=WIDE, javascript=False)
    sign_in(plain, ADMIN_EMAIL)
    plain.goto(page.url)
    plain.get_by_role("button", name="Import 4 rows").click()
    plain.get_by_role("heading", name="Importing").wait_for()
    _check(plain, "progress", axe=False)
    page.reload()
    page.get_by_role("heading", name="Imported").wait_for()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 4

    page.goto("/staff/import")
    _check(page, "batch-list")
    page.get_by_role("link", name="old-crm-export.csv").click()
    page.get_by_role("button", name="Undo import").click()
    page.get_by_role("heading", name="Undone").wait_for()
    _check(page, "undone")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
