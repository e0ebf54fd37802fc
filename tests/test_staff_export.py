"""The inbox's CSV export: same filters as the inbox, streamed, safe to open in a spreadsheet,
and written in the audit log with its filters and row count."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from clinic.extensions import db
from clinic.leads.erasure import erase_lead
from clinic.leads.export import EXPORT_FIELDS
from tests.lead_helpers import audit_rows, make_lead, signed_in


@pytest.fixture
def casey(app, client):
    return signed_in(app, client, "casey@clinic.test")


def export(client, query: str = "") -> tuple[str, list[dict]]:
    response = client.get(f"/staff/leads/export.csv{query}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="leads-')
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    return body, rows


def test_export_is_excel_friendly_and_neutralises_formulas(app, client, casey):
    with app.app_context():
        make_lead(
            '=HYPERLINK("http://evil.example","click")',
            message="+1 stem cells?\n@home -5",
            email="plain@example.com",
        )
    body, rows = export(client)
    assert body.startswith("\ufeff" + ",".join(EXPORT_FIELDS) + "\r\n")
    [row] = rows
    assert row["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["message"] == "'+1 stem cells?\n@home -5"
    assert row["email"] == "plain@example.com"


def test_export_honours_the_inbox_filters_and_order(app, client, casey):
    with app.app_context():
        older = make_lead("Lupus Older", condition="lupus", ago=timedelta(hours=3)).id
        newer = make_lead("Lupus Newer", condition="lupus", ago=timedelta(hours=2)).id
        make_lead("Other Condition", condition="multiple-sclerosis", ago=timedelta(hours=1))
        make_lead("Closed Lupus", condition="lupus", status="treated", ago=timedelta(minutes=30))
        make_lead("Search Target", condition="lupus", email="target@example.com")
        erase_lead(make_lead("Erased Lupus", condition="lupus"), None)
        db.session.commit()
    _, rows = export(client, "?condition=lupus")
    assert [row["name"] for row in rows] == ["Search Target", "Lupus Newer", "Lupus Older"]
    assert [int(row["id"]) for row in rows[1:]] == [newer, older]
    _, rows = export(client, "?condition=lupus&status=all&sort=oldest")
    assert [row["name"] for row in rows] == [
        "Lupus Older",
        "Lupus Newer",
        "Closed Lupus",
        "Search Target",
    ]
    _, rows = export(client, "?q=target%40exa")
    assert [row["name"] for row in rows] == ["Search Target"]
    _, rows = export(client, "?q=lupus")  # a search looks through closed leads too
    assert [row["name"] for row in rows] == ["Closed Lupus", "Lupus Newer", "Lupus Older"]


def test_export_ignores_paging_and_exports_every_matching_lead(app, client, casey):
    with app.app_context():
        for n in range(60):
            make_lead(ago=timedelta(minutes=n))
    html = client.get("/staff/leads").get_data(as_text=True)
    assert 'href="/staff/leads/export.csv"' in html
    _, rows = export(client, "?after=1_1")
    assert len(rows) == 60


def test_export_is_audited_with_filters_and_row_count(app, client, casey):
    with app.app_context():
        for _ in range(3):
            make_lead(condition="lupus")
        make_lead(condition="multiple-sclerosis")
    export(client, "?condition=lupus")
    export(client)
    with app.app_context():
        first, second = audit_rows("leads_exported")
        assert first.actor_id == casey.id
        assert first.detail == "rows=3; filters=condition=lupus"
        assert second.detail == "rows=4; filters=none"


def test_export_audit_never_records_the_search_text(app, client, casey):
    with app.app_context():
        make_lead(name="Searchable Person")
    export(client, "?q=Searchable+Person&condition=lupus")
    with app.app_context():
        [entry] = audit_rows("leads_exported")
        assert "Searchable" not in entry.detail
        assert "q=%28search%29" in entry.detail


def test_export_needs_a_signed_in_user(client):
    response = client.get("/staff/leads/export.csv")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
