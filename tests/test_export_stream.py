"""The export's streaming at scale: rows in order, a helper thread that reads ahead on PostgreSQL
and always stops before the connection is given back, the row count before the first byte."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import export
from clinic.leads.export import _read_ahead, csv_lines, export_records
from tests.lead_helpers import make_lead, signed_in


class FakeResult:
    """Partitions of numbers, slowly, like a server cursor; can fail part-way."""

    def __init__(self, total: int, fail_after: int | None = None):
        self.total, self.fail_after, self.fetched = total, fail_after, 0

    def partitions(self, size: int):
        for start in range(0, self.total, size):
            if self.fail_after is not None and start >= self.fail_after:
                raise RuntimeError("server went away")
            time.sleep(0.001)
            self.fetched += 1
            yield list(range(start, min(start + size, self.total)))


def helpers_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "export-read-ahead" and t.is_alive()]


def test_read_ahead_yields_every_row_in_order(monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)
    assert list(_read_ahead(FakeResult(100))) == list(range(100))
    assert helpers_alive() == []


def test_read_ahead_stops_its_helper_when_the_reader_stops_early(monkeypatch):
    monkeypatch.setattr(export, "BATCH", 5)
    result = FakeResult(10_000)
    rows = _read_ahead(result)
    assert [next(rows) for _ in range(12)] == list(range(12))
    rows.close()  # a client that disconnects mid-download
    assert helpers_alive() == []
    assert result.fetched <= 5  # it read ahead one batch or so, not the whole table


def test_read_ahead_raises_the_helpers_error_in_the_reading_thread(monkeypatch):
    monkeypatch.setattr(export, "BATCH", 10)
    rows = _read_ahead(FakeResult(100, fail_after=30))
    assert [next(rows) for _ in range(30)] == list(range(30))
    with pytest.raises(RuntimeError, match="server went away"):
        next(rows)
    assert helpers_alive() == []


def test_export_stopped_part_way_leaves_the_connection_usable(app, ctx, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    ids = [make_lead(f"Person {n}").id for n in range(9)]
    records = export_records()
    assert [next(records)[0] for _ in range(3)] == sorted(ids)[:3]
    records.close()
    assert helpers_alive() == []
    assert db.session.execute(select(1)).scalar_one() == 1


def test_csv_comes_in_chunks_with_the_header_first(app, ctx, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 4)
    for n in range(10):
        make_lead(f"Person {n}")
    chunks = list(csv_lines(export_records()))
    assert chunks[0] == ",".join(export.EXPORT_FIELDS) + "\r\n"
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
