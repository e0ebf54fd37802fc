"""The inbox's CSV export: same filters as the inbox, streamed, in words a person reads (names,
labels, clinic local times, ids in their own columns), safe to open in a spreadsheet, written in
the audit log with its filters and row count, and only for the people an admin has allowed to
export patients' details."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.extensions import db
from clinic.leads.erasure import erase_lead
from clinic.leads.export import SHEET_HEADINGS
from clinic.models import StaffUser
from tests.lead_helpers import audit_rows, make_lead, signed_in
from tests.staff_helpers import csrf_token_for, make_staff, sign_in

EXPORT_BUTTON = "Export these leads as </span>CSV</a>"


@pytest.fixture
def casey(app, client):
    """A coordinator an admin has allowed to export."""
    user = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        db.session.get(StaffUser, user.id).can_export = True
        db.session.commit()
    return user


def export(client, query: str = "") -> tuple[str, list[dict]]:
    response = client.get(f"/staff/leads/export.csv{query}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="leads-')
    assert response.headers["Content-Disposition"].endswith('.csv"')
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
    assert body.startswith("\ufeff" + ",".join(SHEET_HEADINGS) + "\r\n")
    [row] = rows
    assert row["Name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Latest message"] == "'+1 stem cells?\n@home -5"
    assert row["Email"] == "plain@example.com"


def test_export_uses_names_labels_and_clinic_local_times(app, client, casey):
    """What a coordinator sees on screen: the owner's name, the stage and condition in words,
    times in the clinic's zone with their offset; the ids stay, in columns of their own."""
    with app.app_context():
        owner = make_staff("dana@clinic.test", name="Dana Owner")
        winter = datetime(2026, 12, 7, 14, 14, 59, 900000, tzinfo=UTC)  # 09:14 in New York
        summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # 09:05, daylight-saving time
        booked = make_lead(
            "Ola Booked",
            phone="(212) 555-0142",
            at=winter,
            status="consult_booked",
            owner_id=owner.id,
            first_contacted_at=summer,
            follow_up_on=date(2026, 12, 9),
            follow_up_time=time(10, 30),
            attempts=2,
        )
        lost = make_lead("Lou Lost", at=summer, status="lost", lost_reason="cost")
        lead_ids, owner_id = (booked.id, lost.id), owner.id
    _, rows = export(client, "?status=all&sort=oldest")
    assert [row["Name"] for row in rows] == ["Lou Lost", "Ola Booked"]
    lou, ola = rows
    assert [int(row["Lead ID"]) for row in (ola, lou)] == list(lead_ids)
    assert ola["Received"] == "2026-12-07 09:14 -05:00"
    assert ola["First contacted"] == lou["Received"] == "2026-07-01 09:05 -04:00"
    assert (ola["Status"], ola["Condition"], ola["Lost reason"]) == ("Consult booked", "Lupus", "")
    assert (lou["Status"], lou["Lost reason"], lou["First contacted"]) == ("Lost", "Cost", "")
    assert (ola["Owner"], ola["Owner ID"]) == ("Dana Owner", str(owner_id))
    assert (lou["Owner"], lou["Owner ID"]) == ("", "")
    assert (ola["Follow-up date"], ola["Follow-up time"]) == ("2026-12-09", "10:30")
    assert (ola["Contact attempts"], ola["Inquiries"]) == ("2", "1")
    assert ola["Phone"] == "'+12125550142"  # a leading + would start a formula
    assert ola["SMS consent"] == "No"


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
    assert [row["Name"] for row in rows] == ["Search Target", "Lupus Newer", "Lupus Older"]
    assert [int(row["Lead ID"]) for row in rows[1:]] == [newer, older]
    _, rows = export(client, "?condition=lupus&status=all&sort=oldest")
    assert [row["Name"] for row in rows] == [
        "Lupus Older",
        "Lupus Newer",
        "Closed Lupus",
        "Search Target",
    ]
    _, rows = export(client, "?q=target%40exa")
    assert [row["Name"] for row in rows] == ["Search Target"]
    _, rows = export(client, "?q=lupus")  # a search looks through closed leads too
    assert [row["Name"] for row in rows] == ["Closed Lupus", "Lupus Newer", "Lupus Older"]


def test_export_ignores_paging_and_exports_every_matching_lead(app, client, casey):
    with app.app_context():
        for n in range(60):
            make_lead(ago=timedelta(minutes=n))
    html = client.get("/staff/leads?owner=anyone").get_data(as_text=True)
    assert 'href="/staff/leads/export.csv?owner=anyone"' in html
    assert 'href="/staff/leads/export.xlsx?owner=anyone"' in html
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
        assert first.detail == "rows=3; file=csv; filters=condition=lupus"
        assert second.detail == "rows=4; file=csv; filters=none"


def test_export_audit_never_records_the_search_text(app, client, casey):
    with app.app_context():
        make_lead(name="Searchable Person")
    export(client, "?q=Searchable+Person&condition=lupus")
    with app.app_context():
        [entry] = audit_rows("leads_exported")
        assert "Searchable" not in entry.detail
        assert "q=(search)" in entry.detail


def test_export_needs_a_signed_in_user(client):
    response = client.get("/staff/leads/export.csv")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_a_coordinator_without_the_permission_gets_403_and_no_button(app, client):
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        make_lead()
    assert EXPORT_BUTTON not in client.get("/staff/leads").get_data(as_text=True)
    assert client.get("/staff/leads/export.csv").status_code == 403
    with app.app_context():
        assert audit_rows("leads_exported") == []


def test_admins_can_export_from_the_start(app, client):
    signed_in(app, client, "boss@clinic.test", role="admin")
    assert EXPORT_BUTTON in client.get("/staff/leads").get_data(as_text=True)
    export(client)


def toggle(client, user_id: int, change: str):
    token = csrf_token_for(client, f"/staff/users/{user_id}")
    return client.post(f"/staff/users/{user_id}/export/{change}", data={"csrf_token": token})


def test_an_admin_grants_and_withdraws_the_permission_and_both_are_audited(app):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
        casey_id = make_staff("casey@clinic.test", name="Casey Coord").id
    admin, coordinator = app.test_client(), app.test_client()
    sign_in(admin, "boss@clinic.test")
    sign_in(coordinator, "casey@clinic.test")

    page = admin.get(f"/staff/users/{casey_id}").get_data(as_text=True)
    assert "Allow Casey Coord to export" in page
    response = toggle(admin, casey_id, "allow")
    assert response.status_code == 302
    assert "Stop Casey Coord exporting" in admin.get(response.location).get_data(as_text=True)
    assert EXPORT_BUTTON in coordinator.get("/staff/leads").get_data(as_text=True)
    export(coordinator)

    assert toggle(admin, casey_id, "stop").status_code == 302
    assert coordinator.get("/staff/leads/export.csv").status_code == 403
    with app.app_context():
        [granted] = audit_rows("export_granted")
        [revoked] = audit_rows("export_revoked")
        [exported] = audit_rows("leads_exported")
    assert (granted.actor_email, granted.detail) == ("boss@clinic.test", "casey@clinic.test")
    assert (revoked.actor_email, revoked.detail) == ("boss@clinic.test", "casey@clinic.test")
    assert exported.actor_email == "casey@clinic.test"


def test_the_audit_page_shows_who_exported(app, client, casey):
    export(client)
    admin = app.test_client()
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    sign_in(admin, "boss@clinic.test")
    html = admin.get("/staff/audit?action=leads_exported").get_data(as_text=True)
    assert "Leads exported" in html and "casey@clinic.test" in html


def test_granting_needs_an_admin_and_a_csrf_token(app, client, casey):
    with app.app_context():
        target = make_staff("dana@clinic.test", name="Dana Coord").id
    assert client.post(f"/staff/users/{target}/export/allow").status_code in (400, 403)
    admin = app.test_client()
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    sign_in(admin, "boss@clinic.test")
    assert admin.post(f"/staff/users/{target}/export/allow").status_code == 400
    with app.app_context():
        assert db.session.get(StaffUser, target).can_export is False
        assert audit_rows("export_granted") == []
