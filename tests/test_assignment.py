"""Automatic assignment: fair round-robin, per-condition teams, returning leads, stale leads."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from clinic.automation import assignment
from clinic.automation.intake import owner_for_new_lead
from clinic.extensions import db
from clinic.leads import actions, counts
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.leads.stale import count_stale, is_stale
from clinic.models import Lead, LeadEvent, utcnow
from tests.conftest import csrf_token_from
from tests.lead_helpers import StatementLog
from tests.staff_helpers import make_staff, sign_in


@pytest.fixture
def auto(app):
    app.config["CLINIC_AUTO_ASSIGN"] = True
    with app.app_context():
        yield


def _write(n: int, condition: str = "lupus", email: str | None = None) -> Lead:
    return record_inquiry(
        InquiryData(
            name=f"Patient {n}",
            email=email or f"patient{n}@example.com",
            phone=None,
            condition_slug=condition,
        ),
        pick_owner=owner_for_new_lead,
    ).lead


def _owners(leads: list[Lead]) -> Counter:
    ids = [lead.id for lead in leads]
    return Counter(db.session.execute(select(Lead.owner_id).where(Lead.id.in_(ids))).scalars())


def test_round_robin_is_fair_and_skips_inactive_coordinators(auto):
    people = [make_staff(f"c{n}@clinic.test", name=f"Coordinator {n}") for n in range(4)]
    make_staff("admin@clinic.test", role="admin", name="Admin")  # admins are not dealt leads
    people[2].active = False
    db.session.commit()
    leads = [_write(n) for n in range(10)]
    counts = _owners(leads)
    assert set(counts) == {people[0].id, people[1].id, people[3].id}
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 10


def test_every_automatic_assignment_is_a_system_event(auto):
    person = make_staff("c@clinic.test", name="Casey")
    lead = _write(1)
    db.session.commit()
    [event] = db.session.execute(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.kind == "assign")
    ).scalars()
    assert event.actor_id is None
    assert event.body.startswith("Assigned to Casey automatically")
    assert db.session.get(Lead, lead.id).owner_id == person.id


def test_a_first_time_persons_lead_is_written_already_assigned(auto):
    """Chosen before the insert: the lead's row never holds 'unassigned', its timeline has the
    inquiry then the assignment, and the status-tab counts name the owner only."""
    person = make_staff("c@clinic.test", name="Casey")
    with StatementLog(db.engine) as log:
        data = InquiryData("Ana Lima", "ana@example.com", None, "lupus")
        lead_id = record_inquiry(data, pick_owner=owner_for_new_lead).lead_id
    assert not [s for s in log.statements if s.lstrip().upper().startswith("UPDATE LEADS")]
    assert db.session.get(Lead, lead_id).owner_id == person.id
    kinds = db.session.execute(
        select(LeadEvent.kind).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    ).scalars()
    assert list(kinds) == ["inquiry", "assign"]
    counts = db.session.execute(
        text("SELECT owner_key, leads FROM lead_counts WHERE status = 'new' AND leads > 0")
    ).all()
    assert [tuple(row) for row in counts] == [(person.id, 1)]


def test_without_anyone_active_a_new_lead_waits_unassigned(auto):
    make_staff("c@clinic.test", name="Casey").active = False
    db.session.commit()
    lead = _write(1)
    assert lead.owner_id is None
    assert not db.session.execute(select(LeadEvent).where(LeadEvent.kind == "assign")).all()


def test_condition_rule_routes_to_its_team_and_falls_back_when_team_is_away(auto):
    general = make_staff("g@clinic.test", name="General")
    neuro_a = make_staff("n1@clinic.test", name="Neuro A")
    neuro_b = make_staff("n2@clinic.test", name="Neuro B")
    assignment.save_rule("multiple-sclerosis", [neuro_a.id, neuro_b.id])
    db.session.commit()
    ms = [_write(n, "multiple-sclerosis") for n in range(4)]
    assert _owners(ms) == Counter({neuro_a.id: 2, neuro_b.id: 2})
    others = [_write(10 + n, "lupus") for n in range(3)]
    assert set(_owners(others)) <= {general.id, neuro_a.id, neuro_b.id}
    neuro_a.active = neuro_b.active = False
    db.session.commit()
    away = _write(20, "multiple-sclerosis")
    assert db.session.get(Lead, away.id).owner_id == general.id


def test_rules_refuse_empty_or_deactivated_teams(auto):
    gone = make_staff("gone@clinic.test", name="Gone")
    gone.active = False
    db.session.commit()
    with pytest.raises(assignment.AssignmentError, match="at least one"):
        assignment.save_rule("lupus", [])
    with pytest.raises(assignment.AssignmentError, match="Gone: account deactivated"):
        assignment.save_rule("lupus", [gone.id])


def test_returning_lead_goes_back_to_its_owner(auto):
    first = make_staff("a@clinic.test", name="Ann")
    second = make_staff("b@clinic.test", name="Ben")
    lead = _write(1, email="same@example.com")
    assert lead.owner_id == first.id
    actions.change_status(lead, "lost", second, lost_reason="not_interested")
    db.session.commit()
    _write(2)  # Ben's turn passes to someone else in between
    again = _write(3, email="SAME@example.com")
    assert again.id == lead.id
    assert again.status == "new"  # reopened
    assert again.owner_id == first.id
    assigns = db.session.execute(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.kind == "assign")
    ).scalars()
    assert len(list(assigns)) == 1  # no second assignment


def test_returning_lead_of_a_deactivated_owner_is_dealt_again(auto):
    first = make_staff("a@clinic.test", name="Ann")
    second = make_staff("b@clinic.test", name="Ben")
    lead = _write(1, email="same@example.com")
    first.active = False
    db.session.commit()
    again = _write(2, email="same@example.com")
    assert again.owner_id == second.id
    bodies = db.session.execute(
        select(LeadEvent.body)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.kind == "assign")
        .order_by(LeadEvent.id)
    ).scalars()
    assert list(bodies)[-1] == (
        "Assigned to Ben automatically (round-robin; was Ann, now deactivated)"
    )


def test_waiting_leads_are_dealt_out_by_the_admin_button(app, client):
    with app.app_context():
        _write(1)  # CLINIC_AUTO_ASSIGN is off in tests: the lead waits
        _write(2)
        make_staff("admin@clinic.test", role="admin", name="Admin")
        casey = make_staff("c@clinic.test", name="Casey")
        casey_id = casey.id
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/automation").get_data(as_text=True)
    assert "<strong>2</strong> open leads are waiting without an owner." in page
    question = client.post(
        "/staff/automation/assign-waiting", data={"csrf_token": csrf_token_from(page)}
    ).get_data(as_text=True)
    # Nothing is dealt before the admin sees who would get how many, and confirms.
    assert "Assign the 2 leads waiting without an owner?" in question
    assert "Casey: 2 leads (round-robin)" in question
    with app.app_context():
        assert db.session.execute(select(Lead.owner_id)).scalars().all() == [None, None]
    response = client.post(
        "/staff/automation/assign-waiting/confirm",
        data={"csrf_token": csrf_token_from(question), "up_to_id": up_to_id_from(question)},
    )
    assert response.status_code == 302
    with app.app_context():
        owners = db.session.execute(select(Lead.owner_id)).scalars().all()
        assert owners == [casey_id, casey_id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dealt out 2 leads that were waiting without an owner." in page
    assert "Undo this bulk change" in page


def up_to_id_from(page: str) -> str:
    return page.split('name="up_to_id" value="')[1].split('"')[0]


def test_admin_saves_a_rule_and_coordinators_are_refused(app, client):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Admin")
        neuro = make_staff("n@clinic.test", name="Neuro")
        neuro_id = neuro.id
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/automation").get_data(as_text=True)
    token = csrf_token_from(page)
    # The team is a group of checkboxes (a multiple-select box hid options and needed Ctrl).
    assert f'name="rule-members" type="checkbox" value="{neuro_id}">' in page
    missing = client.post(
        "/staff/automation/rules", data={"csrf_token": token, "rule-condition": "lupus"}
    )
    assert missing.status_code == 400
    assert "Choose at least one coordinator for this condition." in missing.get_data(as_text=True)
    no_condition = client.post(
        "/staff/automation/rules", data={"rule-csrf_token": token, "rule-members": [str(neuro_id)]}
    ).get_data(as_text=True)
    assert "Choose a condition." in no_condition
    ticked = f'checked id="rule-members-1" name="rule-members" type="checkbox" value="{neuro_id}"'
    assert ticked in no_condition  # what was ticked stays ticked
    saved = client.post(
        "/staff/automation/rules",
        data={
            "rule-csrf_token": token,
            "rule-condition": "lupus",
            "rule-members": [str(neuro_id)],
            "rule-active": "y",
        },
        follow_redirects=True,
    )
    assert "Assignment rule saved." in saved.get_data(as_text=True)
    with app.app_context():
        [rule] = assignment.all_rules()
        assert rule.condition_slug == "lupus"
        assert [member.id for member in rule.members] == [neuro_id]
    client.post("/staff/logout", data={"csrf_token": token})
    assert sign_in(client, "n@clinic.test").status_code == 302
    assert client.get("/staff/automation").status_code == 403


def test_stale_marking(auto):
    make_staff("c@clinic.test", name="Casey")
    now = utcnow()
    quiet, recent, closed = _write(1), _write(2), _write(3)
    quiet.last_activity_at = now - timedelta(days=8)
    recent.last_activity_at = now - timedelta(days=6)
    closed.last_activity_at = now - timedelta(days=30)
    with counts.tracking(closed):
        closed.status = "lost"
    db.session.commit()
    assert is_stale(quiet, now, 7)
    assert not is_stale(recent, now, 7)
    assert not is_stale(closed, now, 7)
    assert count_stale(now, 7) == 1
    assert count_stale(now, 7, owner_id=quiet.owner_id) == 1
    assert count_stale(now, 5) == 2
