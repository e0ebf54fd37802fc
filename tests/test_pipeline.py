"""Pipeline rules as plain functions: every change on the timeline and in the audit log, the first
contact stamped once, attempts counted, lost leads with a reason."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.erasure import erase_lead
from clinic.leads.pipeline import (
    CLOSED_STATUSES,
    LOST_REASONS,
    OPEN_STATUSES,
    STATUSES,
    check_status_change,
    counts_as_first_contact,
)
from clinic.models import Lead, utcnow
from tests.lead_helpers import audit_rows, events_of, make_lead
from tests.staff_helpers import make_staff


@pytest.fixture
def coordinator(ctx):
    return make_staff("casey@clinic.test", name="Casey Coordinator")


def fresh(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def test_the_pipeline_stages_and_reasons_are_the_clinics():
    assert OPEN_STATUSES == (
        "new",
        "contacted",
        "consult_booked",
        "consult_done",
        "treatment_booked",
    )
    assert STATUSES[-3:] == ("treated", "not_a_candidate", "lost")
    assert CLOSED_STATUSES == ("not_a_candidate", "lost")
    assert list(LOST_REASONS) == [
        "unreachable",
        "cost",
        "chose_another_provider",
        "not_interested",
        "no_show",
        "duplicate",
        "spam",
        "other",
    ]


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("lost", None, "Choose why the lead was lost."),
        ("lost", "bored", "not one of the reasons"),
        ("archived", None, "not a stage of the pipeline"),
    ],
)
def test_invalid_status_changes_are_refused_with_a_reason(status, reason, message):
    with pytest.raises(ValueError, match=message):
        check_status_change(status, reason)


def test_a_reason_is_only_kept_for_lost_leads():
    assert check_status_change("contacted", "cost") is None
    assert check_status_change("lost", "cost") == "cost"


def test_status_change_is_recorded_with_who_when_from_and_to(coordinator):
    lead = make_lead("Ada Lovelace")
    now = utcnow()
    event = actions.change_status(lead, "contacted", coordinator, now=now)
    db.session.commit()

    lead = fresh(lead.id)
    assert lead.status == "contacted"
    assert (event.actor_id, event.from_status, event.to_status) == (
        coordinator.id,
        "new",
        "contacted",
    )
    assert event.created_at == now
    assert lead.first_contacted_at == now
    assert lead.last_activity_at == now
    [audit] = audit_rows("lead_changed")
    assert audit.lead_id == lead.id
    assert audit.actor_id == coordinator.id
    assert audit.detail == "status new -> contacted"


def test_first_contact_is_stamped_once(coordinator):
    lead = make_lead()
    first = utcnow()
    actions.change_status(lead, "contacted", coordinator, now=first)
    actions.change_status(lead, "consult_booked", coordinator, now=first + timedelta(hours=2))
    actions.log_contact(lead, "call", "reached", coordinator, now=first + timedelta(hours=3))
    db.session.commit()
    assert fresh(lead.id).first_contacted_at == first


def test_closing_a_new_lead_as_spam_is_not_a_first_contact(coordinator):
    lead = make_lead()
    actions.change_status(lead, "lost", coordinator, lost_reason="spam")
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.status, lead.lost_reason, lead.first_contacted_at) == ("lost", "spam", None)
    assert [e.body for e in events_of(lead.id, "status")] == ["Reason: Spam"]
    assert counts_as_first_contact("new", "not_a_candidate", None)
    assert not counts_as_first_contact("contacted", "lost", "cost")


def test_lost_without_a_reason_changes_nothing(coordinator):
    lead = make_lead()
    with pytest.raises(actions.LeadActionError, match="Choose why the lead was lost"):
        actions.change_status(lead, "lost", coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert lead.status == "new"
    assert events_of(lead.id, "status") == []
    assert audit_rows("lead_changed") == []


def test_leaving_lost_clears_the_reason(coordinator):
    lead = make_lead()
    actions.change_status(lead, "lost", coordinator, lost_reason="cost")
    actions.change_status(lead, "contacted", coordinator)
    db.session.commit()
    assert fresh(lead.id).lost_reason is None


def test_same_status_again_is_not_a_change(coordinator):
    lead = make_lead()
    actions.change_status(lead, "contacted", coordinator)
    assert actions.change_status(lead, "contacted", coordinator) is None
    db.session.commit()
    assert len(events_of(lead.id, "status")) == 1


def test_logged_contacts_count_attempts_and_stamp_the_first_contact(coordinator):
    lead = make_lead()
    start = utcnow()
    for minutes, outcome in enumerate(("no_answer", "voicemail", "reached")):
        actions.log_contact(
            lead,
            "call",
            outcome,
            coordinator,
            body="Rang twice",
            now=start + timedelta(minutes=minutes),
        )
    db.session.commit()
    lead = fresh(lead.id)
    assert lead.attempts == 3
    assert lead.first_contacted_at == start
    assert lead.status == "new"  # logging a call never moves the stage by itself
    contacts = events_of(lead.id, "contact")
    assert [(e.channel, e.outcome, e.body) for e in contacts] == [
        ("call", "no_answer", "Rang twice"),
        ("call", "voicemail", "Rang twice"),
        ("call", "reached", "Rang twice"),
    ]
    assert [a.detail for a in audit_rows("lead_changed")] == [
        "contact call no_answer",
        "contact call voicemail",
        "contact call reached",
    ]


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_email_and_text_are_contacts_too(coordinator, channel):
    lead = make_lead()
    actions.log_contact(lead, channel, "sent", coordinator)
    db.session.commit()
    lead = fresh(lead.id)
    assert lead.attempts == 1
    assert lead.first_contacted_at is not None


@pytest.mark.parametrize(
    ("channel", "outcome"),
    [("fax", "reached"), ("call", "maybe"), ("call", "sent"), ("email", "reached")],
)
def test_unknown_channel_or_outcome_is_refused(coordinator, channel, outcome):
    lead = make_lead()
    with pytest.raises(actions.LeadActionError):
        actions.log_contact(lead, channel, outcome, coordinator)
    db.session.rollback()
    assert fresh(lead.id).attempts == 0


def test_notes_are_kept_as_typed_and_empty_ones_refused(coordinator):
    lead = make_lead()
    actions.add_note(lead, "  Prefers Spanish.\r\nCall after 4 pm.  ", coordinator)
    with pytest.raises(actions.LeadActionError, match="Write the note"):
        actions.add_note(lead, "   \n ", coordinator)
    db.session.commit()
    [note] = events_of(lead.id, "note")
    assert note.body == "Prefers Spanish.\nCall after 4 pm."
    assert note.actor_id == coordinator.id
    assert [a.detail for a in audit_rows("lead_changed")] == ["note added"]


def test_assignment_is_recorded_and_deactivated_accounts_refused(coordinator):
    other = make_staff("sam@clinic.test", name="Sam Other")
    lead = make_lead()
    actions.assign_owner(lead, coordinator, coordinator)
    actions.assign_owner(lead, other, coordinator)
    assert actions.assign_owner(lead, other, coordinator) is None
    actions.assign_owner(lead, None, coordinator)
    other.active = False
    with pytest.raises(actions.LeadActionError, match="deactivated"):
        actions.assign_owner(lead, other, coordinator)
    db.session.commit()
    assert fresh(lead.id).owner_id is None
    assert [e.body for e in events_of(lead.id, "assign")] == [
        "Assigned to Casey Coordinator (was unassigned)",
        "Assigned to Sam Other (was Casey Coordinator)",
        "Unassigned (was Sam Other)",
    ]


def test_follow_up_can_be_set_moved_and_cleared(coordinator):
    lead = make_lead()
    actions.set_follow_up(lead, date(2030, 3, 4), coordinator)
    actions.set_follow_up(lead, date(2030, 3, 5), coordinator)
    assert actions.set_follow_up(lead, date(2030, 3, 5), coordinator) is None
    actions.set_follow_up(lead, None, coordinator)
    db.session.commit()
    assert fresh(lead.id).follow_up_on is None
    assert [e.body for e in events_of(lead.id, "follow_up")] == [
        "Next follow-up Mon 4 Mar 2030 (was none)",
        "Next follow-up Tue 5 Mar 2030 (was Mon 4 Mar 2030)",
        "Follow-up cleared (was Tue 5 Mar 2030)",
    ]


def test_a_follow_up_can_have_a_time_of_day_but_not_without_a_day(coordinator):
    lead = make_lead()
    actions.set_follow_up(lead, date(2030, 3, 4), coordinator, at=time(14, 30))
    assert actions.set_follow_up(lead, date(2030, 3, 4), coordinator, at=time(14, 30)) is None
    actions.set_follow_up(lead, date(2030, 3, 4), coordinator)
    with pytest.raises(actions.LeadActionError, match="follow-up day"):
        actions.set_follow_up(lead, None, coordinator, at=time(9))
    db.session.commit()
    lead = fresh(lead.id)
    assert (lead.follow_up_on, lead.follow_up_time) == (date(2030, 3, 4), None)
    assert [e.body for e in events_of(lead.id, "follow_up")] == [
        "Next follow-up Mon 4 Mar 2030 at 14:30 (was none)",
        "Next follow-up Mon 4 Mar 2030 (was Mon 4 Mar 2030 at 14:30)",
    ]
    assert [a.detail for a in audit_rows("lead_changed")] == [
        "follow-up - -> 2030-03-04 14:30",
        "follow-up 2030-03-04 14:30 -> 2030-03-04",
    ]


def test_every_action_counts_as_activity(coordinator):
    lead = make_lead(ago=timedelta(days=30))
    before = fresh(lead.id).last_activity_at
    now = utcnow()
    actions.add_note(lead, "Checked in", coordinator, now=now)
    db.session.commit()
    assert before < fresh(lead.id).last_activity_at == now


def test_erased_and_merged_leads_cannot_be_worked(coordinator):
    erased = make_lead()
    erase_lead(erased, coordinator)
    merged = make_lead()
    keep = make_lead()
    merged.merged_into_id = keep.id
    db.session.commit()
    with pytest.raises(actions.LeadActionError, match="erased"):
        actions.add_note(erased, "hello", coordinator)
    with pytest.raises(actions.LeadActionError, match=f"merged into lead #{keep.id}"):
        actions.log_contact(merged, "call", "reached", coordinator)


def test_bulk_changes_touch_each_lead_and_skip_erased_ones(coordinator):
    leads = [make_lead() for _ in range(3)]
    erase_lead(leads[2], coordinator)
    db.session.commit()
    locked = actions.leads_for_update([lead.id for lead in leads])
    result = actions.bulk_change_status(locked, "contacted", coordinator)
    assert (result.changed, result.unchanged, result.refused) == (2, 0, 1)
    result = actions.bulk_assign(locked, coordinator, coordinator)
    assert (result.changed, result.refused) == (2, 1)
    db.session.commit()
    for lead in leads[:2]:
        assert len(events_of(lead.id, "status")) == 1
        assert len(events_of(lead.id, "assign")) == 1
        assert fresh(lead.id).owner_id == coordinator.id
    assert fresh(leads[2].id).status == "new"


def test_bulk_lost_without_reason_changes_nothing(coordinator):
    leads = [make_lead() for _ in range(2)]
    with pytest.raises(actions.LeadActionError):
        actions.bulk_change_status(leads, "lost", coordinator)
    db.session.commit()
    assert {fresh(lead.id).status for lead in leads} == {"new"}
