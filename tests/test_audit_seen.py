"""The audit log answers "who saw this?": every inbox listing and search (who, which filters,
which leads), every report download and every retry of failed notifications leaves a row, and
what was typed in a search never does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import AuditEntry, utcnow
from clinic.notify import outbox
from tests.lead_helpers import audit_rows, make_lead, signed_in
from tests.staff_helpers import csrf_token_for

OCTOBER = "period=custom&date_from=2026-10-01&date_to=2026-10-31"


@pytest.fixture
def casey(app, client):
    return signed_in(app, client, "casey@clinic.test")


def test_an_inbox_listing_records_who_saw_which_leads_and_the_filters(app, client, casey):
    with app.app_context():
        older = make_lead(condition="lupus", ago=timedelta(hours=2)).id
        newer = make_lead(condition="lupus", ago=timedelta(hours=1)).id
        make_lead(condition="multiple-sclerosis")
    assert client.get("/staff/leads?condition=lupus").status_code == 200
    assert client.get("/staff/leads?status=lost").status_code == 200
    with app.app_context():
        listed, empty = audit_rows("leads_listed")
    assert (listed.actor_id, listed.actor_email) == (casey.id, "casey@clinic.test")
    assert listed.detail == f"rows=2; filters=condition=lupus; ids={newer}, {older}"
    assert empty.detail == "rows=0; filters=status=lost; ids=none"


@pytest.mark.parametrize(
    "typed",
    ["Searchable Person", "zoe.nunez@example.com", "(212) 555-0142", "+1 212 555 0142"],
)
def test_a_search_is_recorded_without_what_was_typed(app, client, casey, typed):
    with app.app_context():
        found = make_lead("Searchable Person", email="zoe.nunez@example.com", phone="2125550142").id
    assert client.get("/staff/leads", query_string={"q": typed}).status_code == 200
    with app.app_context():
        [entry] = audit_rows("leads_listed")
    assert entry.detail == f"rows=1; filters=q=(search); ids={found}"


def test_contact_details_in_other_filters_are_blanked_as_in_the_logs(app, client, casey):
    response = client.get("/staff/leads?source=zoe.nunez@example.com&status=all")
    assert response.status_code == 200
    with app.app_context():
        [entry] = audit_rows("leads_listed")
    assert "zoe.nunez" not in entry.detail
    assert "source=[email]" in entry.detail


def test_a_report_download_is_recorded_but_reading_the_page_is_not(app, client, casey):
    assert client.get(f"/staff/reports?section=volume&{OCTOBER}").status_code == 200
    csv = client.get(f"/staff/reports?{OCTOBER}&format=csv&report=volume_by_condition")
    assert csv.mimetype == "text/csv"
    with app.app_context():
        [entry] = audit_rows("report_downloaded")
    assert entry.actor_email == "casey@clinic.test"
    assert entry.detail.startswith(
        "report=volume_by_condition; period=2026-10-01..2026-10-31; condition=all; rows="
    )


def queue_failed_message() -> None:
    with write_transaction():
        row = outbox.queue("acknowledgement", "zoe@example.com", body="x", lead_id=42)
        row.status, row.attempts = "failed", 12


def test_retrying_failed_notifications_is_recorded_with_who_did_it(app, client, runner):
    signed_in(app, client, "boss@clinic.test", role="admin")
    with app.app_context():
        queue_failed_message()
    token = csrf_token_for(client, "/staff/")
    assert client.post("/staff/outbox/retry", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        queue_failed_message()
    assert (
        "1 failed message(s) queued again" in runner.invoke(args=["outbox", "retry-failed"]).output
    )
    with app.app_context():
        by_admin, by_operator = audit_rows("outbox_retried")
    assert (by_admin.actor_email, by_admin.detail) == (
        "boss@clinic.test",
        "1 message(s) queued again",
    )
    assert (by_operator.actor_email, by_operator.detail) == (
        "command line",
        "1 message(s) queued again",
    )


@pytest.mark.parametrize(
    ("hook", "path", "action"),
    [
        ("clinic.staff.lead_views.source_paths", "/staff/leads", "leads_listed"),
        ("clinic.staff.lead_record_views.staff_members", "/staff/leads/{lead}", "lead_viewed"),
    ],
)
def test_a_write_elsewhere_while_a_page_reads_does_not_stop_its_audit_row(
    app, client, casey, monkeypatch, hook, path, action
):
    """SQLite can't turn a reading transaction into a writing one after another connection has
    written: the audit row must be written in a transaction of its own."""
    with app.app_context():
        lead = make_lead().id
    module, _, name = hook.rpartition(".")
    original = getattr(__import__(module, fromlist=[name]), name)

    def read_then_someone_writes(*args, **kwargs):
        result = original(*args, **kwargs)
        with db.engine.begin() as other:
            other.execute(
                insert(AuditEntry).values(action="sign_in", detail="", created_at=utcnow())
            )
        return result

    monkeypatch.setattr(hook, read_then_someone_writes)
    assert client.get(path.format(lead=lead)).status_code == 200
    with app.app_context():
        assert len(audit_rows(action)) == 1
