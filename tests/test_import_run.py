"""Importing leads: duplicates by the public form's rule, refused rows, formula cells, exact
counts from the dry run and the import alike, resumable pieces, and an exact undo."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from clinic.extensions import db
from clinic.leads import actions, identity, normalise
from clinic.leads.importing import run
from clinic.leads.importing.matching import People
from clinic.leads.importing.undo import undo_import
from clinic.models import ImportBatch, ImportChunk, Inquiry, Lead, LeadCount, LeadEvent
from tests.import_helpers import HEADER, import_all, upload
from tests.lead_helpers import audit_rows, make_lead
from tests.staff_helpers import make_staff

# A stored patient, then a file holding: a new person, that patient again (joins), that
# patient's email with another phone (possible same person), the new person again (joins the
# lead the file starts), a row without a name, one with a bad email, and a person whose cells
# start like formulas.
ROWS = (
    "Zoë Núñez,zoe@example.com,(212) 555-0142,Lupus,Contacted,2025-03-04 09:30,Called,fair\r\n"
    "Ada Stored,ada@example.com,(212) 555-0100,COPD,,2025-05-01,,\r\n"
    "Ada Other,ada@example.com,(212) 555-0199,copd,,05/06/2025,,\r\n"
    "Zoe Nunez,ZOE@example.com,,Knee pain,,2025-06-01T10:00:00Z,,\r\n"
    ",nobody@example.com,,Lupus,,,,\r\n"
    "Bad Email,not-an-email,,Lupus,,,,\r\n"
    '"=HYPERLINK(""http://evil.test"",""Kim"")",kim@example.com,+1 212 555 0177,,,,@SUM(A1),-x\r\n'
)


@pytest.fixture
def admin(ctx):
    return make_staff("admin@clinic.test", role="admin", name="Alex Admin")


@pytest.fixture
def stored(ctx):
    return make_lead(
        "Ada Stored", email="ada@example.com", phone="(212) 555-0100", condition="lupus"
    )


def _search_is_whole() -> None:
    """SQLite's name search holds exactly the leads (FTS5 checks itself against its table)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO leads_fts (leads_fts) VALUES ('integrity-check')"))


def _lead_by_email(email: str) -> list[Lead]:
    query = select(Lead).where(Lead.email_key == email).order_by(Lead.id)
    return list(db.session.execute(query).scalars())


def test_dry_run_and_import_count_the_same_and_join_by_the_form_rule(admin, stored):
    before = (stored.name, stored.email, stored.phone, stored.condition_slug, stored.status)
    batch_id = upload(HEADER + ROWS, actor=admin)

    counted = run.dry_run(batch_id)
    assert (counted.new, counted.joined, counted.possible, counted.refused) == (2, 2, 1, 2)
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1  # nothing stored

    batch = import_all(batch_id, admin)
    assert batch.status == "done"
    assert (batch.new_leads, batch.joined, batch.possible_duplicates, batch.refused) == (2, 2, 1, 2)
    assert batch.rows_done == 7

    # The stored patient keeps every detail; the row only added an inquiry.
    ada = db.session.get_one(Lead, stored.id)
    assert (ada.name, ada.email, ada.phone, ada.condition_slug, ada.status) == before
    assert ada.inquiry_count == 2
    assert ada.import_batch_id is None
    joined = db.session.execute(
        select(Inquiry).where(Inquiry.lead_id == ada.id, Inquiry.import_batch_id == batch_id)
    ).scalar_one()
    assert joined.condition_slug == "copd" and joined.reference is None

    # Another phone with the same email: a lead of its own, marked, never joined.
    other = [lead for lead in _lead_by_email("ada@example.com") if lead.id != ada.id]
    assert len(other) == 1 and other[0].possible_duplicate_of_id == ada.id
    # 05/06/2025 read day first: the file's dates showed nothing either way.
    assert other[0].created_at == datetime(2025, 6, 5, 4, 0, tzinfo=UTC)

    # The new person: one lead, with the file's first details, created when the file says.
    zoe = _lead_by_email("zoe@example.com")
    assert len(zoe) == 1
    zoe = zoe[0]
    assert (zoe.name, zoe.status, zoe.condition_slug) == ("Zoë Núñez", "contacted", "lupus")
    assert zoe.inquiry_count == 2 and zoe.import_batch_id == batch_id
    assert zoe.created_at == zoe.first_inquiry_at == datetime(2025, 3, 4, 14, 30, tzinfo=UTC)
    assert zoe.last_inquiry_at == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert zoe.source == "Old CRM" and zoe.first_contacted_at is None
    assert zoe.furthest_stage == 1 and zoe.business_seconds_to_contact is None
    kinds = sorted(
        e.kind for e in db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == zoe.id))
    )
    assert kinds == ["import", "import", "inquiry", "inquiry", "note"]
    second = db.session.execute(
        select(Inquiry).where(Inquiry.lead_id == zoe.id).order_by(Inquiry.id.desc()).limit(1)
    ).scalar_one()
    assert second.condition_slug == "other"
    assert second.message.startswith("Condition given: Knee pain")

    # Cells starting like formulas are data, kept as written.
    kim = _lead_by_email("kim@example.com")[0]
    assert kim.name == '=HYPERLINK("http://evil.test","Kim")'
    assert kim.phone == "+12125550177"
    note = db.session.execute(
        select(LeadEvent).where(LeadEvent.lead_id == kim.id, LeadEvent.kind == "note")
    ).scalar_one()
    assert note.body == "@SUM(A1)"
    assert (
        db.session.execute(select(Inquiry.utm_source).where(Inquiry.lead_id == kim.id)).scalar_one()
        == "-x"
    )

    # The derived tables follow: the status tabs and the message search.
    tabs = dict(
        db.session.execute(
            select(LeadCount.status, func.sum(LeadCount.leads)).group_by(LeadCount.status)
        ).all()
    )
    assert tabs == {"new": 3, "contacted": 1}
    _search_is_whole()
    assert audit_rows("import_finished")[-1].detail.endswith(
        "2 new, 2 joined, 1 possible duplicates, 2 refused"
    )


def test_refused_rows_come_back_as_csv_with_reasons_and_harmless_cells(admin):
    bad = "=cmd|' /C calc'!A0,not-an-email,,,,,,\r\n"
    batch_id = upload(HEADER + ROWS + bad, actor=admin)
    import_all(batch_id, admin)
    text_ = "".join(run.refused_csv_lines(batch_id)).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text_)))
    assert rows[0][-2:] == ["Row", "Reason"]
    by_row = {row[-2]: row for row in rows[1:]}
    assert set(by_row) == {"6", "7", "9"}
    assert by_row["6"][-1] == "Name (full): no name given."
    assert "“not-an-email” is not an email address" in by_row["7"][-1]
    assert by_row["9"][0] == "'=cmd|' /C calc'!A0"
    # Only the refused rows are kept once imported.
    kept = db.session.scalar(
        select(func.sum(ImportChunk.rows)).where(ImportChunk.batch_id == batch_id)
    )
    assert kept == 3


def test_the_refused_file_fixed_imports_again(admin):
    batch_id = upload(HEADER + "Kim Lee,kim@example,'+12125550177,,,,,\r\n", actor=admin)
    import_all(batch_id, admin)
    fixed = "".join(run.refused_csv_lines(batch_id)).replace("kim@example,", "kim@example.com,")
    again = upload(fixed.encode("utf-8"), actor=admin)
    batch = import_all(again, admin)
    assert (batch.new_leads, batch.refused) == (1, 0)
    assert _lead_by_email("kim@example.com")[0].phone == "+12125550177"


def test_undo_removes_exactly_what_the_import_made_and_keeps_what_was_touched(admin, stored):
    stored_inquiries = stored.inquiry_count
    counts_before = sorted(
        db.session.execute(
            select(LeadCount.status, LeadCount.condition_slug, LeadCount.leads)
        ).all()
    )
    batch_id = upload(HEADER + ROWS, actor=admin)
    import_all(batch_id, admin)
    kim = _lead_by_email("kim@example.com")[0]
    actions.add_note(kim, "Spoke to her after the import", admin)
    db.session.commit()

    report = undo_import(batch_id, admin)
    _search_is_whole()

    assert report.kept == {
        kim.id: "its timeline has entries added since the import (notes, calls, messages)"
    }
    assert (report.leads, report.inquiries, report.notes) == (2, 4, 1)
    db.session.expire_all()
    remaining = db.session.scalars(select(Lead.id).order_by(Lead.id)).all()
    assert remaining == [stored.id, kim.id]
    ada = db.session.get_one(Lead, stored.id)
    assert ada.inquiry_count == stored_inquiries
    assert (
        db.session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.lead_id == ada.id)
        )
        == 1
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.lead_id == kim.id)
        )
        == 1
    )
    counts_after = sorted(
        db.session.execute(
            select(LeadCount.status, LeadCount.condition_slug, LeadCount.leads).where(
                LeadCount.leads > 0
            )
        ).all()
    )
    kim_key = ("new", "other", 1)
    assert sorted([*[c for c in counts_before if c[2]], kim_key]) == counts_after
    batch = db.session.get_one(ImportBatch, batch_id)
    assert batch.status == "undone" and batch.undone_by_id == admin.id
    assert db.session.scalar(select(func.count()).select_from(ImportChunk)) == 0
    assert "kept 1 lead changed since" in audit_rows("import_undone")[-1].detail


def test_a_lead_changed_or_written_to_since_is_kept(admin):
    batch_id = upload(HEADER + ROWS, actor=admin)
    import_all(batch_id, admin)
    zoe = _lead_by_email("zoe@example.com")[0]
    actions.change_status(zoe, "consult_booked", admin)
    db.session.commit()
    report = undo_import(batch_id, admin)
    assert report.kept[zoe.id].startswith(("changed since", "its timeline"))
    assert db.session.get(Lead, zoe.id) is not None
    with pytest.raises(run.ImportStateError):
        undo_import(batch_id, admin)


def test_a_piece_that_fails_leaves_nothing_and_the_import_resumes(admin, monkeypatch):
    people = "".join(
        f"Person {n},p{n}@example.com,,Lupus,,2025-01-0{1 + n % 9},,\r\n"
        for n in range(run.CHUNK_ROWS + 20)
    )
    batch_id = upload(HEADER + people, actor=admin)
    run.start(batch_id, admin)
    assert run.run_steps(batch_id, seconds=0) is False  # one piece, then it yields
    real = run._insert_events

    def fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("server went away")

    monkeypatch.setattr(run, "_insert_events", fail)
    with pytest.raises(RuntimeError):
        run.run_steps(batch_id, seconds=0)
    db.session.rollback()
    batch = db.session.get_one(ImportBatch, batch_id)
    assert (batch.next_chunk, batch.rows_done, batch.new_leads) == (
        1,
        run.CHUNK_ROWS,
        run.CHUNK_ROWS,
    )
    assert db.session.scalar(select(func.count()).select_from(Lead)) == run.CHUNK_ROWS
    assert db.session.scalar(select(func.count()).select_from(Inquiry)) == run.CHUNK_ROWS

    monkeypatch.setattr(run, "_insert_events", real)
    run.run_all(batch_id)
    db.session.expire_all()
    batch = db.session.get_one(ImportBatch, batch_id)
    assert batch.status == "done" and batch.new_leads == run.CHUNK_ROWS + 20
    assert db.session.scalar(select(func.count()).select_from(Inquiry)) == run.CHUNK_ROWS + 20


@pytest.mark.parametrize(
    ("email", "phone"),
    [
        ("ada@example.com", None),
        ("ada@example.com", "+12125550100"),
        ("ada@example.com", "+12125550111"),
        (None, "+12125550100"),
        ("bea@example.com", "+12125550100"),
        ("nobody@example.com", "+12125550999"),
    ],
)
def test_matching_picks_what_the_public_form_would(ctx, email, phone):
    make_lead("Ada", email="ada@example.com", phone="(212) 555-0100")
    make_lead("Ada 2", email="ada@example.com", phone="(212) 555-0111")
    make_lead("Bea", email="bea@example.com")
    digits = normalise.phone_digits(phone)
    expected = identity.find_person(email, digits)
    people = People()
    people.load([email], [digits])
    found = people.best(email, digits)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.candidate.id, found.joins) == (expected.lead_id, expected.joins)


def test_mapping_guesses_from_header_names(ctx):
    batch_id = upload(
        "First name;Surname;Email address;Phone number;Lead status;Date created;Owner;"
        "UTM Campaign\r\n"
        "Zoë;Núñez;zoe@example.com;2125550142;New;31/12/2024;;spring\r\n",
    )
    batch = db.session.get_one(ImportBatch, batch_id)
    assert batch.delimiter == ";"
    mapping = run.mapping_of(batch)
    assert mapping.columns == [
        "first_name", "last_name", "email", "phone", "status", "created", "owner", "utm_campaign",
    ]  # fmt: skip
    assert mapping.date_order == "dmy"
    outcome = run.preview(batch, mapping)[0]
    assert outcome.kind == "new" and outcome.row.name == "Zoë Núñez"
    assert outcome.row.created_at == datetime(2024, 12, 31, 5, 0, tzinfo=UTC)


def test_imported_leads_count_in_volume_and_funnel_but_not_in_speed_to_lead(admin, frozen_clock):
    from clinic import clock
    from clinic.reports.queries import ReportFilters, funnels, speed_report

    make_lead("Form Lead", email="form@example.com", ago=timedelta(days=2))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    batch_id = upload(
        HEADER + f"Old Patient,old@example.com,,Lupus,Contacted,{yesterday},,\r\n", actor=admin
    )
    import_all(batch_id, admin)
    old = _lead_by_email("old@example.com")[0]
    actions.log_contact(old, "call", "reached", admin)
    db.session.commit()
    assert db.session.get_one(Lead, old.id).business_seconds_to_contact is None

    filters = ReportFilters(
        datetime.now(UTC) - timedelta(days=7), datetime.now(UTC) + timedelta(hours=1)
    )
    summary, people = speed_report(filters, clock.business_calendar())
    assert summary.leads == 1  # the lead that wrote in, not the imported one
    assert funnels(filters)[None][0].reached[:2] == [2, 1]
    total = db.session.scalar(text("SELECT count(*) FROM leads"))
    assert total == 2
