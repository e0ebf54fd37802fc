"""A page changed in the browser reaches patients only when another person, a clinical reviewer,
approves it; then the public page shows the change with both names and the date."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clinic import clock
from clinic.extensions import db
from clinic.models import StaffUser
from clinic.templating import long_date
from tests.browser.conftest import (
    axe_violations,
    describe_violations,
    no_horizontal_scroll,
    screenshot,
    sign_in,
)
from tests.staff_helpers import make_staff

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
EDITOR_EMAIL = "eddie.editor@clinic.test"
REVIEWER_EMAIL = "dana.reyes@clinic.test"
NEW_SENTENCE = "Our patients say this therapy is proven to help [3]."
SHOTS = Path("/tmp/h/shots")


def keep(path: Path, name: str) -> None:
    """A copy of a screenshot for the people reviewing this work, when they asked for one."""
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / f"h-content-{name}.png")


@pytest.fixture
def people(app):
    with app.app_context():
        make_staff(EDITOR_EMAIL, name="Eddie Editor", role="editor")
        dana = make_staff(REVIEWER_EMAIL, name="Dana Reyes")
        dana.is_clinical_reviewer = True
        dana.degree = "MD"
        dana.specialty = "Rheumatology"
        db.session.commit()
        return db.session.get(StaffUser, dana.id).id


def test_an_edit_is_public_only_after_another_persons_clinical_review(open_page, app, people):
    editor = open_page(viewport=WIDE)
    sign_in(editor, EDITOR_EMAIL)
    expect(editor).to_have_url(re.compile(r"/staff/content$"))
    editor.get_by_role("link", name=re.compile(r"^Lupus \(SLE\)")).click()

    body = editor.get_by_label("Text (Markdown)")
    body.fill(body.input_value() + "\n" + NEW_SENTENCE + "\n")
    # The live preview renders it as patients would see it, the claim marked.
    marked = editor.locator("#content-preview .prose mark.claim", has_text="proven to help")
    expect(marked).to_be_visible()
    expect(marked.get_by_role("link", name="Reference 3", exact=True)).to_have_attribute(
        "href", "#ref-3"
    )
    marked.scroll_into_view_if_needed()
    keep(screenshot(editor, "content-editor-wide", full_page=False), "editor-1366")
    violations = axe_violations(editor)
    assert not violations, describe_violations(violations)

    editor.get_by_label("What changed").fill("A sentence on what patients tell us")
    editor.get_by_role("button", name="Save draft").click()
    expect(editor.get_by_role("status").first).to_contain_text("Saved as revision 2")
    editor.set_viewport_size(PHONE_390)
    editor.reload()
    assert no_horizontal_scroll(editor)[0] <= PHONE_390["width"]
    keep(screenshot(editor, "content-editor-phone", full_page=False), "editor-390")

    editor.goto("/conditions/lupus")
    expect(editor.locator("main")).not_to_contain_text("proven to help")
    expect(editor.locator(".byline")).to_have_text(
        re.compile(r"^Not yet reviewed by a clinician at ")
    )

    reviewer = open_page(viewport=WIDE)
    sign_in(reviewer, REVIEWER_EMAIL)
    due = reviewer.locator("section", has=reviewer.locator("#pages-due-title"))
    due.get_by_role("link", name=re.compile(r"^Lupus \(SLE\)")).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Review: Lupus .*, revision 2")
    )
    changes = reviewer.locator(".diff-table ins", has_text=NEW_SENTENCE)
    expect(changes).to_be_visible()
    keep(screenshot(reviewer, "content-review-wide", full_page=False), "review-1366")
    violations = axe_violations(reviewer)
    assert not violations, describe_violations(violations)

    reviewer.get_by_role("button", name="Record my decision").click()
    expect(reviewer).to_have_title(re.compile(r"^Error: "))
    reviewer.set_viewport_size(PHONE_390)
    assert no_horizontal_scroll(reviewer)[0] <= PHONE_390["width"]
    keep(screenshot(reviewer, "content-review-phone", full_page=False), "review-390")
    reviewer.set_viewport_size(WIDE)
    expect(reviewer.locator("#error-summary")).to_contain_text(
        "The claim checker flagged sentences"
    )
    reviewer.get_by_label("Why the flagged sentences stand").fill(
        "The new sentence is the clinic's to decide; the others say there is no cure."
    )
    reviewer.get_by_role("button", name="Record my decision").click()
    expect(reviewer.get_by_role("status").first).to_contain_text(
        "Approved: patients now see revision 2"
    )
    expect(reviewer.get_by_text("the others say there is no cure")).to_be_visible()

    reviewer.goto("/staff/content")
    lupus_row = reviewer.get_by_role("row", name=re.compile(r"^Lupus \(SLE\)"))
    expect(lupus_row).to_contain_text("Published")

    public = open_page(viewport=WIDE)
    public.goto("/conditions/lupus")
    expect(public.locator("main")).to_contain_text("proven to help")
    with app.app_context():
        today = long_date(clock.today())
    expect(public.locator(".byline")).to_have_text(
        f"Written by Eddie Editor · Medically reviewed by Dana Reyes, MD, Rheumatology on {today}"
    )
    public.locator(".prose").get_by_role("link", name="Reference 3", exact=True).first.click()
    expect(public).to_have_url(re.compile(r"#ref-3$"))
    expect(public.locator("#ref-3")).to_be_in_viewport()
    public.locator(".article__header").scroll_into_view_if_needed()
    keep(screenshot(public, "public-lupus-wide", full_page=False), "public-lupus-1366")
    public.set_viewport_size(PHONE_390)
    public.goto("/conditions/lupus")
    assert no_horizontal_scroll(public)[0] <= PHONE_390["width"]
    keep(screenshot(public, "public-lupus-phone", full_page=False), "public-lupus-390")


def test_the_history_compares_two_revisions(open_page, app, people):
    page = open_page(viewport=WIDE)
    sign_in(page, EDITOR_EMAIL)
    page.get_by_role("link", name=re.compile(r"^Questions and answers")).click()
    summary = page.get_by_label("Summary")
    summary.fill(summary.input_value() + " Updated for the test.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="History and comparisons").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".diff-table ins")).to_contain_text("Updated for the test.")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    keep(screenshot(page, "content-diff-wide"), "diff-1366")
    page.set_viewport_size(PHONE_390)
    assert no_horizontal_scroll(page)[0] <= PHONE_390["width"]
    keep(screenshot(page, "content-diff-phone", full_page=False), "diff-390")
