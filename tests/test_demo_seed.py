"""`flask demo seed`: deterministic, realistic and consistent with what the app itself stores."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime

import phonenumbers
import pytest
from sqlalchemy import delete, func, select, text

from clinic import clock
from clinic.demo.cli import EMPTY_ONLY, parse_now
from clinic.demo.team import DEMO_COORDINATORS, DEMO_EDITOR, DEMO_PASSWORD, DEMO_REVIEWER
from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.appointments import describe, ends_at
from clinic.leads.availability import weekly_hours
from clinic.leads.pipeline import CLOSED_STATUSES, LOST_REASONS, NO_CONTACT_REASONS, STATUSES
from clinic.models import Appointment, Inquiry, Lead, LeadEvent, StaffUser
from clinic.reports.facts import backfill
from clinic.staff import accounts
from config import ProductionConfig
from tests.staff_helpers import sign_in

NOW = "2026-01-15T12:00"
NOW_UTC = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)  # noon in New York, the clinic's zone
CONDITION_SLUGS = {
    "lupus",
    "multiple-sclerosis",
    "rheumatoid-arthritis",
    "knee-osteoarthritis",
    "copd",
    "parkinsons-disease",
    "other",
}


def seed(runner, leads: int, *extra: str):
    result = runner.invoke(
        args=["demo", "seed", "--leads", str(leads), "--now", NOW, "--workers", "0", *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def all_rows() -> dict[str, list[tuple]]:
    rows = {}
    for model in (Lead, Inquiry, LeadEvent, Appointment):
        table = model.__table__
        rows[table.name] = [
            tuple(row) for row in db.session.execute(select(table).order_by(table.c.id))
        ]
    return rows


def forget_leads() -> None:
    for model in (Appointment, LeadEvent, Inquiry, Lead):
        db.session.execute(delete(model))
    db.session.commit()


def test_same_seed_same_rows_whether_generated_here_or_in_worker_processes(app, runner):
    seed(runner, 400, "--seed", "7")
    with app.app_context():
        first = all_rows()
        forget_leads()
    result = runner.invoke(
        args=["demo", "seed", "--leads", "400", "--seed", "7", "--now", NOW, "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert all_rows() == first
        forget_leads()
    seed(runner, 400, "--seed", "8")
    with app.app_context():
        other = all_rows()
    assert len(other["leads"]) == 400
    names = {row[3] for row in first["leads"]}
    assert len(names & {row[3] for row in other["leads"]}) < 40
    assert [row[1] for row in first["leads"]] != [row[1] for row in other["leads"]]


def test_counts_and_every_lead_consistent_with_its_timeline(app, runner):
    result = seed(runner, 1500, "--seed", "3")
    with app.app_context():
        leads = db.session.execute(select(Lead).order_by(Lead.id)).scalars().all()
        inquiries = db.session.execute(select(Inquiry).order_by(Inquiry.id)).scalars().all()
        events = db.session.execute(select(LeadEvent).order_by(LeadEvent.id)).scalars().all()
        staff = {user.id: user for user in db.session.execute(select(StaffUser)).scalars()}
    assert len(leads) == 1500
    assert f"1,500 leads, {len(inquiries):,} inquiries, {len(events):,} timeline entries" in (
        result.output
    )
    assert 1.2 * len(leads) < len(inquiries) < 1.6 * len(leads)
    by_lead_inquiries = defaultdict(list)
    for inquiry in inquiries:
        by_lead_inquiries[inquiry.lead_id].append(inquiry)
    by_lead_events = defaultdict(list)
    for event in events:
        by_lead_events[event.lead_id].append(event)

    for lead in leads:
        own = by_lead_inquiries[lead.id]
        timeline = by_lead_events[lead.id]
        assert lead.inquiry_count == len(own) >= 1
        assert lead.first_inquiry_at == lead.created_at == own[0].created_at
        assert lead.last_inquiry_at == own[-1].created_at
        assert [e.inquiry_id for e in timeline if e.kind == "inquiry"] == [i.id for i in own]
        assert [e.created_at for e in timeline] == sorted(e.created_at for e in timeline)
        assert lead.last_activity_at == timeline[-1].created_at <= NOW_UTC
        assert lead.attempts == sum(1 for e in timeline if e.kind == "contact")
        assert lead.first_contacted_at == first_contact(timeline)
        changes = [e for e in timeline if e.kind == "status"]
        assert lead.status == (changes[-1].to_status if changes else "new")
        previous = "new"
        for change in changes:
            assert change.from_status == previous
            previous = change.to_status
        assert (lead.lost_reason is not None) == (lead.status == "lost")
        assigned = [e for e in timeline if e.kind == "assign"]
        assert (lead.owner_id is not None) == bool(assigned)
        if assigned:
            assert assigned[0].body == f"Assigned to {staff[lead.owner_id].name} (was unassigned)"
        assert (lead.follow_up_on is not None) == any(e.kind == "follow_up" for e in timeline)
        assert lead.condition_slug == own[-1].condition_slug
        assert lead.name == own[-1].name and lead.email == own[-1].email


def first_contact(timeline: list[LeadEvent]) -> datetime | None:
    """The first call, or the first status change away from new that counts as contact."""
    for event in timeline:
        if event.kind == "contact":
            return event.created_at
        if event.kind == "status" and event.from_status == "new" and event.to_status != "new":
            no_contact = event.to_status == "lost" and event.body in {
                f"Reason: {LOST_REASONS[reason]}" for reason in NO_CONTACT_REASONS
            }
            if not no_contact:
                return event.created_at
    return None


def test_keys_are_what_the_intake_would_store_and_contact_details_are_unique(app, runner):
    seed(runner, 2000, "--seed", "5")
    with app.app_context():
        leads = db.session.execute(select(Lead)).scalars().all()
    for lead in leads:
        assert lead.name_key == normalise.fold(lead.name)
        assert lead.email_key == normalise.email_key(lead.email)
        assert lead.email == normalise.normalise_email(lead.email)
        assert lead.email.rsplit("@", 1)[1] in ("example.com", "example.org", "example.net")
        if lead.phone:
            assert lead.phone == normalise.normalise_phone(lead.phone, "US")
            assert lead.phone_digits == normalise.phone_digits(lead.phone)
            assert lead.phone[5:8] == "555"
            assert phonenumbers.region_code_for_number(phonenumbers.parse(lead.phone)) == "US"
        else:
            assert lead.preferred_contact == "email"
    emails = [lead.email_key for lead in leads]
    phones = [lead.phone_digits for lead in leads if lead.phone_digits]
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones) > 0.85 * len(leads)


def test_data_looks_like_a_real_clinic(app, runner):
    seed(runner, 3000, "--seed", "11")
    with app.app_context():
        leads = db.session.execute(select(Lead)).scalars().all()
        inquiries = db.session.execute(select(Inquiry)).scalars().all()
        events = Counter(db.session.execute(select(LeadEvent.kind)).scalars())
        owners = set(db.session.execute(select(Lead.owner_id)).scalars())
        coordinators = (
            db.session.execute(select(StaffUser).where(StaffUser.role == "coordinator"))
            .scalars()
            .all()
        )
    conditions = Counter(lead.condition_slug for lead in leads)
    assert set(conditions) == CONDITION_SLUGS
    assert 0.12 < conditions["lupus"] / len(leads) < 0.18
    statuses = Counter(lead.status for lead in leads)
    assert set(statuses) == set(STATUSES)
    top = {status for status, _ in statuses.most_common(3)}
    assert top == {"new", "contacted", "lost"}
    assert sum(statuses[s] for s in CLOSED_STATUSES) > statuses["treated"] > 0
    scripts = {script_of(ch) for lead in leads for ch in lead.name if ch.isalpha()}
    assert {"LATIN", "CJK", "ARABIC", "CYRILLIC", "GREEK", "HEBREW", "DEVANAGARI"} <= scripts
    assert any(ch in lead.name for lead in leads for ch in "éñøłễ")
    assert {kind for kind in events} >= {"inquiry", "assign", "contact", "status", "note"}
    assert {kind for kind in events} >= {"follow_up"}
    assert {c.email for c in coordinators} == {email for _, email in DEMO_COORDINATORS}
    assert owners - {None} == {c.id for c in coordinators}
    years = Counter(lead.created_at.year for lead in leads)
    assert set(years) == {2023, 2024, 2025, 2026}
    assert min(lead.created_at for lead in leads) > datetime(2023, 1, 14, tzinfo=UTC)
    pages = Counter(inquiry.submitted_from for inquiry in inquiries)
    assert pages["/conditions/lupus"] > 0 and pages["/inquire"] > 0
    assert sum(1 for i in inquiries if i.utm_source) > 0.3 * len(inquiries)
    assert sum(1 for i in inquiries if i.message) > 0.8 * len(inquiries)
    follow_ups = [lead.follow_up_on for lead in leads if lead.follow_up_on]
    around_today = [day for day in follow_ups if abs((day - NOW_UTC.date()).days) <= 21]
    assert len(around_today) > 0.2 * len(follow_ups)


def script_of(character: str) -> str:
    name = unicodedata.name(character, "")
    return "CJK" if name.startswith(("CJK", "HANGUL", "HIRAGANA")) else name.split(" ")[0]


def test_report_facts_match_what_the_reports_backfill_computes(app, runner):
    seed(runner, 800, "--seed", "9")
    facts = select(
        Lead.id,
        Lead.furthest_stage,
        Lead.business_seconds_to_contact,
        Lead.first_campaign,
        Lead.first_article,
        Lead.first_landing_page,
    ).order_by(Lead.id)
    cohorts = (
        select(LeadEvent.id, LeadEvent.lead_created_at)
        .where(LeadEvent.kind == "status")
        .order_by(LeadEvent.id)
    )
    with app.app_context():
        before = db.session.execute(facts).all()
        seeded_cohorts = db.session.execute(cohorts).all()
        report = backfill(clock.business_calendar(), recompute=True)
        db.session.commit()
        after = db.session.execute(facts).all()
        assert db.session.execute(cohorts).all() == seeded_cohorts
    assert len(seeded_cohorts) > 500
    assert all(created is not None for _, created in seeded_cohorts)
    assert report.speeds > 0
    assert sum(1 for row in before if row.furthest_stage >= 2) > 50
    assert sum(1 for row in before if row.first_campaign) > 200
    assert after == before


def test_refuses_a_database_that_already_holds_leads_and_says_so_before_anything(app, runner):
    first = seed(runner, 5)
    assert first.output.startswith(EMPTY_ONLY)
    result = runner.invoke(args=["demo", "seed", "--leads", "5", "--now", NOW])
    assert result.exit_code == 1
    assert result.output.startswith(EMPTY_ONLY)
    assert "Demo leads" not in result.output
    assert "already holds 5 leads, so no demo data was written" in result.output
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert f"delete {db.engine.url.database}" in result.output
        else:
            assert "point DATABASE_URL at it" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Lead)).scalar_one() == 5


def test_refuses_production(database_url):
    from clinic import create_app

    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="x" * 40)
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--leads", "5", "--now", NOW])
    assert result.exit_code == 1
    assert "never written in production" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Lead)).scalar_one() == 0
        db.engine.dispose()


def test_demo_coordinators_alone_once_and_never_in_production(app, runner, database_url):
    result = runner.invoke(args=["demo", "coordinators"])
    assert result.exit_code == 0, result.output
    assert f"with the password {DEMO_PASSWORD}" in result.output
    with app.app_context():
        mei = accounts.find_by_email("mei.lin@example.org")
        accounts.set_password(mei, "a password of her own")
        db.session.commit()
    again = runner.invoke(args=["demo", "coordinators"])  # finds them all, gives the password back
    assert again.exit_code == 0, again.output
    with app.app_context():
        emails = db.session.execute(select(StaffUser.email, StaffUser.role)).all()
        content_team = [(DEMO_EDITOR[1], "editor"), (DEMO_REVIEWER[1], "editor")]
        assert sorted(emails) == sorted(
            [(email, "coordinator") for _, email in DEMO_COORDINATORS] + content_team
        )
        reviewer = accounts.find_by_email(DEMO_REVIEWER[1])
        assert (
            reviewer.is_clinical_reviewer
            and reviewer.credentials == "Hannah Weiss, MD, Rheumatology"
        )
        # Each coordinator offers consultation hours, so patients can book in the demo.
        mei = accounts.find_by_email("mei.lin@example.org")
        assert {hours.kind for hours in weekly_hours(mei.id)} == {"phone", "video"}
        assert db.session.execute(select(func.count()).select_from(Lead)).scalar_one() == 0
    client = app.test_client()
    assert sign_in(client, "mei.lin@example.org", DEMO_PASSWORD).status_code == 302
    from clinic import create_app

    production = create_app(
        ProductionConfig, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="x" * 40
    )
    refused = production.test_cli_runner().invoke(args=["demo", "coordinators"])
    assert refused.exit_code == 1
    assert "never created in production" in refused.output
    with production.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--leads", "0"], "0 is not in the range x>=1"),
        (["--leads", "5", "--now", "next tuesday"], "give a date such as 2026-01-15"),
        ([], "Missing option '--leads'"),
    ],
)
def test_bad_options_are_explained(runner, args, message):
    result = runner.invoke(args=["demo", "seed", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_now_is_read_in_clinic_time_unless_it_says_otherwise():
    zone = "America/New_York"
    assert parse_now("2026-01-15", zone) == datetime(2026, 1, 15, 5, 0, tzinfo=UTC)
    assert parse_now("2026-07-15T09:30", zone) == datetime(2026, 7, 15, 13, 30, tzinfo=UTC)
    assert parse_now("2026-07-15T09:30+00:00", zone) == datetime(2026, 7, 15, 9, 30, tzinfo=UTC)


def test_export_has_one_row_per_seeded_lead_at_ten_thousand(app, runner):
    seed(runner, 10_000, "--seed", "2")
    result = runner.invoke(args=["leads", "export", "--format", "jsonl"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 10_000
    ids = [json.loads(line)["id"] for line in lines]
    assert ids == sorted(ids) and len(set(ids)) == 10_000


def test_every_lead_id_gets_its_own_valid_us_number():
    from math import gcd

    from clinic.demo.generate import PHONE_STEP
    from clinic.demo.texts import AREA_CODES, PHONE_CAPACITY

    assert gcd(PHONE_STEP, PHONE_CAPACITY) == 1  # the id → number map is one-to-one
    for area in AREA_CODES:
        for line in ("0000", "0142", "9999"):
            number = phonenumbers.parse(f"+1{area}555{line}")
            assert phonenumbers.is_valid_number(number), number
            assert phonenumbers.region_code_for_number(number) == "US"


def test_postgresql_tables_are_vacuumed_after_the_load(app, runner):
    """Index-only scans need the pages marked all-visible; a server with autovacuum off (as
    in CI) would otherwise leave every report and inbox query reading the tables too."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("VACUUM is PostgreSQL's")
    seed(runner, 20)
    with app.app_context():
        vacuumed = db.session.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL"
                " AND relname IN ('leads', 'inquiries', 'lead_events')"
            )
        ).scalars()
        assert sorted(vacuumed) == ["inquiries", "lead_events", "leads"]


def test_sqlite_planner_statistics_count_every_seeded_lead(app, runner):
    """Statistics from a sample made SQLite think a condition picks out a couple of thousand
    leads, and a year of the volume report took three times as long."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's are VACUUM (ANALYZE)'s")
    seed(runner, 5_000)
    with app.app_context():
        stats = dict(
            db.session.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'leads'")).all()
        )
        conditions = db.session.execute(
            text("SELECT count(DISTINCT condition_slug) FROM leads")
        ).scalar_one()
        # The load turns off zeroing what it frees; the connection goes back to the pool with
        # it on again, as erasure needs.
        assert db.session.execute(text("PRAGMA secure_delete")).scalar_one() == 1
    rows, per_condition, *_ = map(int, stats["ix_leads_condition_created_at_id"].split())
    assert rows == 5_000
    assert per_condition == -(-5_000 // conditions)  # every row read: the true average


def test_demo_coordinators_sign_in_with_the_demo_password_and_see_their_today(app, runner):
    result = seed(runner, 300)
    assert f"with the password {DEMO_PASSWORD}" in result.output
    for _, email in DEMO_COORDINATORS[:2]:
        client = app.test_client()
        assert sign_in(client, email, DEMO_PASSWORD).status_code == 302
        assert client.get("/staff/").status_code == 200


def test_consultations_follow_the_appointment_rules_with_some_today_for_everyone(app, runner):
    """Booked ahead for leads at consult booked, attended for those past it, a few no-shows
    and cancellations, each on the timeline as clinic.leads.appointments words it."""
    seed(runner, 3000, "--seed", "4")
    with app.app_context():
        leads = {lead.id: lead for lead in db.session.execute(select(Lead)).scalars()}
        appointments = db.session.execute(select(Appointment)).scalars().all()
        events = db.session.execute(select(LeadEvent)).scalars().all()
        coordinators = {
            user.id
            for user in db.session.execute(
                select(StaffUser).where(StaffUser.role == "coordinator")
            ).scalars()
        }
        bodies = defaultdict(list)
        for event in events:
            bodies[(event.lead_id, event.created_at)].append(event.body)
        today_starts, today_ends = clock.day_range(NOW_UTC.date(), NOW_UTC.date())
        settled_words = {
            "attended": "Consultation attended: {}",
            "no_show": "No-show for the consultation of {}",
            "cancelled": "Consultation cancelled: {}",
        }
        booked_leads = []
        for appointment in appointments:
            lead = leads[appointment.lead_id]
            assert appointment.host_id in coordinators
            assert appointment.created_at < appointment.starts_at
            booking = f"Consultation booked: {describe(appointment, appointment.created_at)}"
            assert booking in bodies[(lead.id, appointment.created_at)]
            if appointment.status == "booked":
                booked_leads.append(lead.id)
                assert lead.status == "consult_booked"
                assert appointment.starts_at >= today_starts and appointment.settled_at is None
                continue
            settled = appointment.settled_at
            assert settled <= NOW_UTC and appointment.settled_by_id in coordinators
            words = describe(appointment, settled, short=True)
            assert settled_words[appointment.status].format(words) in bodies[(lead.id, settled)]
            if appointment.status == "cancelled":
                assert settled < appointment.starts_at
            else:
                assert settled >= ends_at(appointment)
            if appointment.status == "attended":
                assert lead.furthest_stage >= 3
            if appointment.status == "no_show":
                local_start = appointment.starts_at.astimezone(clock.zone())
                assert any(
                    body.startswith("Next follow-up") and f" at {local_start:%H:%M} (was" in body
                    for body in bodies[(lead.id, settled)]
                )
        at_consult_booked = [lead.id for lead in leads.values() if lead.status == "consult_booked"]
        assert sorted(booked_leads) == sorted(at_consult_booked) and booked_leads
        kinds = Counter(appointment.status for appointment in appointments)
        assert kinds["attended"] > kinds["no_show"] > 0 and kinds["cancelled"] > 0
        today = Counter(
            appointment.host_id
            for appointment in appointments
            if appointment.status == "booked" and today_starts <= appointment.starts_at < today_ends
        )
        assert set(today) == coordinators and min(today.values()) >= 2
