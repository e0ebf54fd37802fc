"""The timeline facts the reports read (clinic/leads/facts.py): attempts before the person
was reached, kept on the lead, and each status change's stay in the stage it left. They must
equal what the timeline itself says after every action, a change logged out of order, a merge,
an erasure, and a backfill of seeded rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from clinic import clock
from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.erasure import erase_lead
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.leads.merge import merge_leads
from clinic.leads.pipeline import REACHED_OUTCOMES
from clinic.models import Lead, LeadEvent
from clinic.reports import discipline
from clinic.reports.facts import backfill
from clinic.reports.queries import ReportFilters
from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff

T0 = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def from_timeline(lead_id: int) -> tuple[int | None, list[float]]:
    """Attempts before reach and stays, worked out by reading the timeline in order."""
    lead = db.session.get(Lead, lead_id)
    events = db.session.execute(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead_id)
        .order_by(LeadEvent.created_at, LeadEvent.id)
    ).scalars()
    entered, tries, reached_after, stays = lead.created_at, 0, None, []
    for event in events:
        if event.kind == "status":
            stays.append((event.created_at - entered).total_seconds())
            entered = event.created_at
        elif event.kind == "contact" and reached_after is None:
            if event.outcome in REACHED_OUTCOMES:
                reached_after = tries
            tries += 1
    return reached_after, stays


def stored(lead_id: int) -> tuple[int | None, list[float]]:
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    stays = db.session.execute(
        select(LeadEvent.stage_seconds)
        .where(LeadEvent.lead_id == lead_id, LeadEvent.kind == "status")
        .order_by(LeadEvent.created_at, LeadEvent.id)
    ).scalars()
    return lead.attempts_before_reach, list(stays)


def assert_facts(lead_id: int, attempts: int | None, stays: list[float]) -> None:
    assert stored(lead_id) == (attempts, pytest.approx(stays, abs=0.002))
    expected_attempts, expected_stays = from_timeline(lead_id)
    assert (attempts, pytest.approx(stays, abs=0.002)) == (expected_attempts, expected_stays)


@pytest.fixture
def admin(ctx):
    return make_staff("admin@clinic.test", name="Ada Admin", role="admin")


def test_attempts_before_reach_follow_the_contact_log(admin):
    lead = make_lead(at=T0)
    actions.log_contact(lead, "call", "no_answer", admin, now=at(1))
    actions.log_contact(lead, "sms", "sent", admin, now=at(2))
    db.session.commit()
    assert_facts(lead.id, None, [])
    actions.log_contact(lead, "call", "reached", admin, now=at(3))
    actions.log_contact(lead, "call", "no_answer", admin, now=at(4))
    actions.log_contact(lead, "call", "reached", admin, now=at(5))
    db.session.commit()
    assert_facts(lead.id, 2, [])
    # Logged late: a call that reached the person before any of the others.
    actions.log_contact(lead, "call", "reached", admin, now=at(0.5))
    db.session.commit()
    assert_facts(lead.id, 0, [])
    assert lead.attempts_before_reach == 0  # the loaded lead reads the new value


def test_the_actions_keep_furthest_stage_and_speed_to_lead(admin):
    lead = make_lead(at=T0)  # Monday 10:00 at the clinic, an hour after opening
    assert (lead.furthest_stage, lead.business_seconds_to_contact) == (0, None)
    actions.change_status(lead, "consult_booked", admin, now=at(1))
    actions.change_status(lead, "lost", admin, lost_reason="cost", now=at(2))
    db.session.commit()
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.furthest_stage == 2  # lost after booking: still a booked consult in the funnel
    assert lead.business_seconds_to_contact == 3600


def test_a_merge_takes_the_earlier_first_contact_for_speed_to_lead(admin):
    keep, duplicate = make_lead(at=T0), make_lead(at=T0)
    actions.log_contact(keep, "call", "reached", admin, now=at(3))
    actions.log_contact(duplicate, "call", "no_answer", admin, now=at(1))
    merge_leads(keep, duplicate, admin, now=at(4))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Lead, keep.id).business_seconds_to_contact == 3600


def test_each_status_change_records_the_stay_in_the_stage_it_left(admin):
    lead = make_lead(at=T0)
    actions.change_status(lead, "contacted", admin, now=at(0.25))
    actions.change_status(lead, "consult_booked", admin, now=at(48))
    db.session.commit()
    assert_facts(lead.id, None, [900, 47.75 * 3600])
    # A change logged out of order splits a stay: the one after it is worked out again.
    actions.change_status(lead, "consult_done", admin, now=at(24))
    db.session.commit()
    assert_facts(lead.id, None, [900, 23.75 * 3600, 24 * 3600])
    # Two changes at the same moment: the second stay is zero.
    actions.change_status(lead, "lost", admin, lost_reason="cost", now=at(48))
    db.session.commit()
    assert_facts(lead.id, None, [900, 23.75 * 3600, 24 * 3600, 0])


def test_a_reopening_inquiry_records_the_stay_in_the_closed_stage(admin):
    def write(moment):
        return record_inquiry(
            InquiryData(name="Pat Doe", email="pat@example.com", phone=None,
                        condition_slug="lupus"),
            now=moment,
        ).lead  # fmt: skip

    lead = write(T0)
    actions.change_status(lead, "lost", admin, lost_reason="cost", now=at(2))
    db.session.commit()
    assert write(at(50)).id == lead.id
    db.session.commit()
    assert_facts(lead.id, None, [2 * 3600, 48 * 3600])


def test_a_merge_works_both_timelines_out_again(admin):
    keep = make_lead(at=T0)
    duplicate = make_lead(at=at(-24))
    actions.log_contact(duplicate, "call", "no_answer", admin, now=at(-20))
    actions.change_status(duplicate, "contacted", admin, now=at(-19))
    actions.log_contact(keep, "call", "voicemail", admin, now=at(1))
    actions.log_contact(keep, "call", "reached", admin, now=at(2))
    actions.change_status(keep, "contacted", admin, now=at(2))
    db.session.commit()
    assert_facts(keep.id, 1, [2 * 3600])
    merge_leads(keep, duplicate, admin, now=at(3))
    db.session.commit()
    # One timeline now: the duplicate's unanswered call comes first, and keep's change of
    # status follows the duplicate's (keep's own first inquiry is still its start).
    assert_facts(keep.id, 2, [-19 * 3600 + 0, 21 * 3600])
    assert_facts(duplicate.id, None, [])


def test_erasure_keeps_the_facts(admin):
    lead = make_lead(at=T0)
    actions.log_contact(lead, "call", "no_answer", admin, body="Left no message", now=at(1))
    actions.log_contact(lead, "call", "reached", admin, now=at(2))
    actions.change_status(lead, "contacted", admin, now=at(2))
    db.session.commit()
    erase_lead(lead, admin, now=at(5))
    db.session.commit()
    assert_facts(lead.id, 1, [2 * 3600])


def test_the_report_counts_reached_and_not_reached_leads(app, admin):
    first, second, third = (make_lead(at=at(n)) for n in range(3))
    actions.log_contact(first, "call", "reached", admin, now=at(5))
    actions.log_contact(second, "call", "no_answer", admin, now=at(5))
    actions.log_contact(second, "call", "reached", admin, now=at(6))
    actions.log_contact(third, "call", "no_answer", admin, now=at(5))
    make_lead(at=at(4))  # never tried: not counted
    db.session.commit()
    result = discipline.attempts_before_reach(ReportFilters(at(-1), at(10)))
    assert result.reached_after == {0: 1, 1: 1}
    assert result.not_reached == 1


def test_backfill_after_seeding_gives_the_seeded_facts(app, runner):
    result = runner.invoke(
        args=["demo", "seed", "--leads", "400", "--now", "2026-01-15T12:00", "--workers", "0"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        seeded = _all_facts()
        reached = [tries for tries, _ in seeded.values() if tries is not None]
        assert len(reached) > 100 and max(reached) >= 2
        assert sum(len(stays) for _, stays in seeded.values()) > 300
        for lead_id in list(seeded)[:150]:
            attempts, stays = from_timeline(lead_id)
            assert seeded[lead_id] == (attempts, pytest.approx(stays, abs=0.002))
        db.session.execute(update(Lead).values(attempts_before_reach=None))
        db.session.execute(update(LeadEvent).values(stage_seconds=None))
        db.session.commit()
        report = backfill(clock.business_calendar())
        assert report.stays == sum(len(stays) for _, stays in seeded.values())
        assert report.reaches > 100
        filled = _all_facts()
    assert filled.keys() == seeded.keys()
    for lead_id, (attempts, stays) in seeded.items():
        assert filled[lead_id] == (attempts, pytest.approx(stays, abs=0.002))


def _all_facts() -> dict[int, tuple[int | None, list[float]]]:
    stays: dict[int, list[float]] = defaultdict(list)
    rows = db.session.execute(
        select(LeadEvent.lead_id, LeadEvent.stage_seconds)
        .where(LeadEvent.kind == "status")
        .order_by(LeadEvent.lead_id, LeadEvent.created_at, LeadEvent.id)
    )
    for lead_id, seconds in rows:
        stays[lead_id].append(seconds)
    leads = db.session.execute(select(Lead.id, Lead.attempts_before_reach).order_by(Lead.id))
    return {lead_id: (tries, stays.get(lead_id, [])) for lead_id, tries in leads}


def test_status_changes_carry_their_leads_start_through_a_merge(admin):
    """The stage report reads a period's stays by ``lead_created_at`` without joining the leads
    (and through the leads when a condition is chosen): both must count the same stays."""
    keep = make_lead(at=T0)
    duplicate = make_lead(at=at(-24))
    other = make_lead(at=at(1), condition="copd")
    actions.change_status(duplicate, "contacted", admin, now=at(-19))
    actions.change_status(keep, "contacted", admin, now=at(2))
    actions.change_status(other, "contacted", admin, now=at(4))
    db.session.commit()

    def cohorts(lead: Lead) -> list:
        return list(
            db.session.execute(
                select(LeadEvent.lead_created_at).where(
                    LeadEvent.lead_id == lead.id, LeadEvent.kind == "status"
                )
            ).scalars()
        )

    assert cohorts(duplicate) == [at(-24)]
    merge_leads(keep, duplicate, admin, now=at(3))
    db.session.commit()
    # The duplicate's change moved to keep and now counts with keep's start; the merged record
    # keeps no status change (its closing is a merge entry), so nothing counts for it.
    assert cohorts(keep) == [at(0), at(0)]
    assert cohorts(duplicate) == []
    period = ReportFilters(at(-48), at(48))
    everyone = discipline.time_in_stage(period)
    assert set(everyone) == {"new"}
    assert everyone["new"].count == 3
    lupus = discipline.time_in_stage(replace(period, condition="lupus"))
    copd = discipline.time_in_stage(replace(period, condition="copd"))
    assert (lupus["new"].count, copd["new"].count) == (2, 1)
    # Keep's stays: 19 h before its own start (the duplicate's change) and 21 h after it, then
    # 3 h for the other lead: a median of 3 hours.
    assert everyone["new"].median == pytest.approx(3 / 24)
    assert lupus["new"].median == pytest.approx(1 / 24)
    # Before this period the leads' stays are not counted.
    assert discipline.time_in_stage(ReportFilters(at(-48), at(-1))) == {}
