"""`flask leads purge`: closed leads past the policy age are erased, with tombstones and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import derived
from clinic.leads.retention import PolicyAgeError, cutoff_for, purge_closed_leads
from clinic.models import AuditEntry, Inquiry, Lead, OutboxMessage, utcnow
from clinic.notify import outbox
from tests.lead_helpers import database_file_bytes, search_index_bytes

NOW = utcnow()
LONG_AGO = NOW - timedelta(days=600)  # about 20 months
RECENTLY = NOW - timedelta(days=300)  # about 10 months


def add_lead(name: str, status: str, last_activity: datetime, **extra) -> int:
    lead = Lead(
        name=name,
        email=f"{name.lower()}@example.com",
        phone="+12125550142",
        status=status,
        condition_slug="lupus",
        last_activity_at=last_activity,
        created_at=last_activity,
        **extra,
    )
    db.session.add(lead)
    db.session.flush()
    db.session.add(
        Inquiry(
            lead_id=lead.id,
            idempotency_key=f"key-{name}",
            name=name,
            email=lead.email,
            phone=lead.phone,
            condition_slug="lupus",
            message="Private health details",
            consent_version="v1",
            consent_at=last_activity,
            consent_page="/inquire",
        )
    )
    return lead.id


@pytest.fixture
def leads(ctx):
    ids = {
        "lost_old": add_lead("Lostold", "lost", LONG_AGO),
        "unsuitable_old": add_lead("Unsuitable", "not_a_candidate", LONG_AGO),
        "lost_recent": add_lead("Lostrecent", "lost", RECENTLY),
        "open_old": add_lead("Openold", "contacted", LONG_AGO),
        "treated_old": add_lead("Treated", "treated", LONG_AGO),
    }
    ids["duplicate"] = add_lead("Duplicate", "lost", LONG_AGO, merged_into_id=ids["lost_old"])
    with write_transaction():
        outbox.queue("acknowledgement", "lostold@example.com", body="x", lead_id=ids["lost_old"])
        outbox.queue("acknowledgement", "openold@example.com", body="x", lead_id=ids["open_old"])
    db.session.commit()
    return ids


def lead_named(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def test_dry_run_lists_and_changes_nothing(leads, runner):
    result = runner.invoke(args=["leads", "purge", "--closed-older-than", "18m"])
    assert result.exit_code == 0
    expected = f"#{leads['lost_old']}, #{leads['unsuitable_old']}"
    assert "2 closed lead(s) inactive since before" in result.output
    assert expected in result.output
    assert "Run again with --yes" in result.output
    assert "Lostold" not in result.output  # ids only, never names
    assert lead_named(leads["lost_old"]).name == "Lostold"
    assert db.session.execute(select(AuditEntry)).first() is None


def test_yes_erases_closed_leads_past_the_age_with_tombstones_and_audit(leads, runner):
    result = runner.invoke(args=["leads", "purge", "--closed-older-than", "18m", "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased 2 closed lead(s)" in result.output
    for key in ("lost_old", "unsuitable_old", "duplicate"):
        lead = lead_named(leads[key])
        assert lead.erased_at is not None and lead.name == "Erased" and lead.email is None
        assert lead.status in ("lost", "not_a_candidate")  # the tombstone keeps the counts
    inquiry = db.session.execute(
        select(Inquiry).where(Inquiry.lead_id == leads["lost_old"])
    ).scalar_one()
    assert inquiry.message == "Erased" and inquiry.email is None
    for key in ("lost_recent", "open_old", "treated_old"):
        assert lead_named(leads[key]).erased_at is None
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.lead_id)).all()
    assert ("lead_erased", leads["lost_old"]) in actions
    assert ("lead_erased", leads["duplicate"]) in actions
    assert [a for a, _ in actions].count("retention_purge") == 1
    remaining = db.session.execute(select(OutboxMessage.lead_id)).scalars().all()
    assert remaining == [leads["open_old"]]
    # Nothing left to do the second time.
    again = runner.invoke(args=["leads", "purge", "--closed-older-than", "18m", "--yes"])
    assert "erased 0 closed lead(s)" in again.output


def test_the_default_age_is_the_configured_policy(app, leads, runner):
    app.config["CLINIC_RETENTION_MONTHS"] = 6
    result = runner.invoke(args=["leads", "purge"])
    assert "3 closed lead(s)" in result.output  # the 10-month-old lost lead is past 6 months


def test_an_unreadable_age_is_a_clear_error(runner, ctx):
    result = runner.invoke(args=["leads", "purge", "--closed-older-than", "eighteen"])
    assert result.exit_code == 2
    assert "use a number and a unit, e.g. 18m" in result.output
    with pytest.raises(PolicyAgeError):
        purge_closed_leads("0m", act=False)


def test_month_arithmetic_keeps_to_real_dates():
    now = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    assert cutoff_for("18m", now) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert cutoff_for("2y", now) == datetime(2024, 8, 31, 12, 0, tzinfo=UTC)
    assert cutoff_for("90d", now) == now - timedelta(days=90)


def test_purged_words_leave_sqlites_search_indexes(leads):
    """The purge rewrites the full-text indexes once, after erasing every lead due."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's full-text indexes; PostgreSQL's old row versions go with VACUUM")
    lead_id = add_lead("Quenby", "lost", LONG_AGO)
    db.session.execute(
        Inquiry.__table__.update()
        .where(Inquiry.lead_id == lead_id)
        .values(message="Zorbivex made my rash worse")
    )
    derived.refresh_messages([lead_id])  # written around the app, indexed as the app would
    db.session.commit()
    assert b"zorbivex" in search_index_bytes()
    report = purge_closed_leads("18m", act=True, now=NOW)
    assert lead_id in report.erased
    assert b"zorbivex" not in search_index_bytes()
    stored = database_file_bytes()  # the suite's database file and its emptied log
    assert b"Zorbivex" not in stored and b"zorbivex" not in stored
