"""Editors never see patient data: every staff page not marked open to editors answers 403.

The list of pages is read from the app's routes, so a staff page added later is covered without
anyone remembering to add it here.
"""

from __future__ import annotations

from clinic.staff.auth import editor_may_open
from tests.lead_helpers import make_lead, signed_in

# A sample value per URL converter (class name without "Converter"); ids and numbers are 1.
SAMPLE_VALUES = {"unicode": "x", "string": "x", "path": "x", "any": "x", "uuid": "x"}


def staff_get_paths(app) -> list[tuple[str, str]]:
    """(endpoint, path) of every staff GET page an editor may not open, with sample ids."""
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or "GET" not in (rule.methods or ()):
            continue
        if editor_may_open(rule.endpoint):
            continue
        values = {
            name: SAMPLE_VALUES.get(type(converter).__name__.removesuffix("Converter").lower(), 1)
            for name, converter in rule._converters.items()
        }
        found.append((rule.endpoint, adapter.build(rule.endpoint, values, method="GET")))
    return found


def test_an_editor_gets_403_on_every_staff_page_that_is_not_open_to_editors(app, client):
    with app.app_context():
        make_lead()  # lead 1 exists, so a 403 is the guard's answer, not a missing record's
    signed_in(app, client, "ed@clinic.test", role="editor", name="Eddie Editor")

    paths = staff_get_paths(app)
    endpoints = {endpoint for endpoint, _ in paths}
    # The pages with the most patient data are among those walked.
    assert {"staff.leads", "staff.lead", "staff.reports", "staff.audit"} <= endpoints
    answered = {path: client.get(path).status_code for _, path in paths}
    assert {path: code for path, code in answered.items() if code != 403} == {}

    for path in ("/staff/leads/export.csv", "/staff/leads/export.xlsx", "/staff/reports"):
        assert client.get(path).status_code == 403, path
    assert client.get("/staff/reports?format=csv").status_code == 403


def test_an_editor_opens_the_pages_and_their_account(app, client):
    signed_in(app, client, "ed@clinic.test", role="editor", name="Eddie Editor")
    assert client.get("/staff/content").status_code == 200
    assert client.get("/staff/account").status_code == 200
    home = client.get("/staff/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/staff/content")


def test_pages_open_to_editors_show_no_patient_data(app, client):
    """The content pages are the only staff pages an editor reaches beyond sign-in and their
    own account; none of them reads a lead."""
    open_pages = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.") and editor_may_open(rule.endpoint)
    )
    assert [e for e in open_pages if e.startswith("staff.content")] == [
        "staff.content",
        "staff.content_compare",
        "staff.content_edit",
        "staff.content_history",
        "staff.content_preview",
        "staff.content_restore",
        "staff.content_review",
    ]
