"""The export's streaming at scale: rows in order, a connection still usable when the reading
stops part-way, the row count before the first byte; and clinic local times worked out per hour
that agree with zoneinfo at every instant, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import export
from clinic.leads.export import csv_lines, export_records, sheet_rows
from clinic.leads.export_times import LocalTimes
from tests.lead_helpers import make_lead, signed_in


def test_export_stopped_part_way_leaves_the_connection_usable(app, ctx, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    ids = [make_lead(f"Person {n}").id for n in range(9)]
    records = export_records()
    assert [next(records)[0] for _ in range(3)] == sorted(ids)[:3]
    records.close()
    assert db.session.execute(select(1)).scalar_one() == 1


def test_csv_comes_in_chunks_with_the_header_first(app, ctx, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 4)
    for n in range(10):
        make_lead(f"Person {n}")
    chunks = list(csv_lines(sheet_rows()))
    assert chunks[0] == ",".join(export.SHEET_HEADINGS) + "\r\n"
    assert [chunk.count("\r\n") for chunk in chunks[1:]] == [4, 4, 2]


def test_the_export_row_count_comes_before_any_row_and_matches(app, client):
    signed_in(app, client, "boss@clinic.test", role="admin")  # admins may export
    with app.app_context():
        for n in range(5):
            make_lead(f"Person {n}", condition="lupus" if n % 2 else "copd")
    response = client.get("/staff/leads/export.csv?condition=lupus&status=all")
    body = response.get_data(as_text=True)
    assert body.count("\r\n") == 1 + 2
    with app.app_context():
        from clinic.models import AuditEntry

        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "leads_exported")
        ).scalar_one()
    assert entry.detail.startswith("rows=2;")


def test_dates_and_times_are_written_as_isoformat_writes_them(app, ctx):
    from datetime import UTC, date, datetime

    whole = datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC)
    fraction = datetime(2024, 3, 5, 14, 7, 9, 120000, tzinfo=UTC)
    first = make_lead("Whole Second", at=whole, follow_up_on=date(2030, 1, 2))
    second = make_lead("With Fraction", at=fraction, first_contacted_at=fraction)
    rows = {row[0]: row for row in export_records()}
    fields = export.EXPORT_FIELDS
    created, contacted, follow_up = (
        fields.index(name) for name in ("created_at", "first_contacted_at", "follow_up_on")
    )
    assert rows[first.id][created] == whole.isoformat() == "2024-03-05T14:07:09+00:00"
    assert rows[first.id][follow_up] == "2030-01-02"
    assert rows[first.id][contacted] is None
    assert rows[second.id][created] == fraction.isoformat() == "2024-03-05T14:07:09.120000+00:00"
    assert rows[second.id][contacted] == fraction.isoformat()
    assert rows[second.id][follow_up] is None


@pytest.mark.parametrize(
    ("zone", "around"),
    [
        ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),  # 02:00 EST → 03:00 EDT
        ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),  # 02:00 EDT → 01:00 EST
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),  # changes half an hour
        ("Asia/Kolkata", datetime(2026, 12, 7, tzinfo=UTC)),  # +05:30 all year
        ("Europe/London", datetime(2026, 10, 25, 1, tzinfo=UTC)),  # +01:00 → +00:00
    ],
)
def test_local_times_agree_with_zoneinfo_at_every_instant(zone, around):
    times = LocalTimes(ZoneInfo(zone))
    start = int(around.timestamp()) - 2 * 86400
    for instant in range(start, start + 4 * 86400, 7 * 60 + 13):
        local = datetime.fromtimestamp(instant, UTC).astimezone(ZoneInfo(zone))
        offset = local.strftime("%z")
        expected = f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"
        assert times.text(instant) == expected, instant
        days = (local.replace(tzinfo=None) - datetime(1899, 12, 30)) / timedelta(days=1)
        assert times.excel(instant) == pytest.approx(days, abs=1e-9), instant
