"""Bulk changes are confirmed before they happen, and the last one can be undone.

The confirmation page counts what would change and lists the leads, and nothing changes before
its button. An undo puts back only the leads nobody touched since, once, only by the person who
made the change, only their last one and within the window; it is audited by counts. The same
holds for dealing out the leads waiting without an owner. The accounts list sends reset links.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from clinic.extensions import db
from clinic.leads import actions, bulk
from clinic.leads.erasure import erase_lead
from clinic.models import BulkAction, BulkActionLead, Lead, OutboxMessage
from tests.lead_helpers import audit_rows, events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff, sign_in


def fresh(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def bulk_actions() -> int:
    return db.session.execute(select(func.count()).select_from(BulkAction)).scalar_one()


def assign(lead_ids, owner, actor) -> bulk.BulkOutcome:
    outcome = bulk.assign(actions.leads_for_update(lead_ids), owner, actor)
    db.session.commit()
    return outcome


def undo(action_id: int, actor) -> bulk.UndoResult:
    result = bulk.undo(bulk.action_for_update(action_id), actor)
    db.session.commit()
    return result


@pytest.fixture
def people(ctx):
    amara = make_staff("amara@clinic.test", name="Amara Okafor")
    ben = make_staff("ben@clinic.test", name="Ben Li")
    return amara, ben


# --- the domain: planning, recording, undoing --------------------------------------------------


def test_a_plan_sorts_the_leads_and_changes_nothing(people):
    amara, ben = people
    hers = make_lead(owner_id=amara.id)
    his = make_lead(owner_id=ben.id)
    nobodys = make_lead()
    erased = make_lead()
    erase_lead(erased, ben)
    kept = make_lead()
    merged = make_lead(merged_into_id=kept.id)
    db.session.commit()
    ids = [hers.id, his.id, nobodys.id, erased.id, merged.id]

    plan = bulk.plan_assign(bulk.leads_by_id(ids), amara)
    assert [lead.id for lead in plan.to_change] == [his.id, nobodys.id]
    assert [lead.id for lead in plan.already] == [hers.id]
    assert [lead.id for lead in plan.refused] == [erased.id, merged.id]
    plan = bulk.plan_status(bulk.leads_by_id(ids), "new", None)
    assert plan.to_change == [] and len(plan.already) == 3
    with pytest.raises(actions.LeadActionError, match="Choose why the lead was lost."):
        bulk.plan_status(bulk.leads_by_id(ids), "lost", None)
    assert (fresh(his.id).owner_id, fresh(nobodys.id).owner_id) == (ben.id, None)
    assert bulk_actions() == 0


def test_a_bulk_change_keeps_each_leads_before_and_after(people):
    amara, ben = people
    leads = [make_lead(owner_id=ben.id), make_lead(), make_lead(owner_id=amara.id)]
    outcome = assign([lead.id for lead in leads], amara, ben)
    assert (outcome.result.changed, outcome.result.unchanged) == (2, 1)
    action = outcome.action
    assert (action.kind, action.actor_id, action.lead_count) == ("assign", ben.id, 2)
    assert action.summary == "Assigned 2 leads to Amara Okafor"
    rows = db.session.execute(select(BulkActionLead).order_by(BulkActionLead.lead_id)).scalars()
    assert [(r.lead_id, r.previous_owner_id, r.new_owner_id, r.new_status) for r in rows] == [
        (leads[0].id, ben.id, amara.id, "new"),
        (leads[1].id, None, amara.id, "new"),
    ]
    [entry] = audit_rows("bulk_changed")
    assert entry.detail == f"bulk change {action.id} (assign): 2 leads changed"
    assert entry.actor_email == "ben@clinic.test"
    # Already as asked: nothing to keep, nothing to undo.
    assert assign([leads[2].id], amara, ben).action is None
    assert bulk_actions() == 1


def test_undo_puts_back_only_the_leads_nobody_touched_since(frozen_clock, people):
    amara, ben = people
    leads = [make_lead(owner_id=ben.id) for _ in range(5)]
    ids = [lead.id for lead in leads]
    action_id = assign(ids, amara, ben).action.id
    frozen_clock.shift(timedelta(minutes=2))
    leads = [fresh(lead_id) for lead_id in ids]
    actions.add_note(leads[1], "Called back, will book", amara)  # worked on since
    actions.assign_owner(leads[2], None, amara)  # reassigned since
    actions.change_status(leads[3], "contacted", amara)  # moved on since
    erase_lead(leads[4], amara)
    db.session.commit()

    result = undo(action_id, ben)
    assert (result.restored, result.changed_since, result.cannot_go_back) == (1, 4, 0)
    assert [fresh(lead_id).owner_id for lead_id in ids[:4]] == [ben.id, amara.id, None, amara.id]
    last = events_of(ids[0], "assign")[-1]
    assert (last.actor_id, last.body) == (ben.id, "Assigned to Ben Li (was Amara Okafor)")
    action = db.session.get(BulkAction, action_id)
    assert action.undone_at is not None and action.undone_by_id == ben.id
    [entry] = audit_rows("bulk_undone")
    assert entry.detail == (
        f"bulk change {action_id} (assign): 1 put back, 4 changed since and left alone, "
        "0 could not go back"
    )
    assert "Patient" not in entry.detail  # counts, never names


def test_an_undo_is_refused_twice_for_someone_else_when_superseded_or_late(frozen_clock, people):
    amara, ben = people
    admin = make_staff("admin@clinic.test", role="admin", name="Ada Admin")
    first = make_lead(owner_id=ben.id)
    second = make_lead()
    first_action = assign([first.id], amara, ben).action.id
    with pytest.raises(bulk.BulkUndoError, match="Only the person who made a bulk change"):
        undo(first_action, admin)  # admins included: a new, confirmed change is theirs to make
    frozen_clock.shift(timedelta(minutes=1))
    second_action = assign([second.id], amara, ben).action.id
    with pytest.raises(bulk.BulkUndoError, match="Only your last bulk change can be undone"):
        undo(first_action, ben)
    frozen_clock.shift(bulk.UNDO_WINDOW + timedelta(seconds=1))
    with pytest.raises(bulk.BulkUndoError, match="Too late to undo"):
        undo(second_action, ben)
    frozen_clock.shift(-timedelta(seconds=2))
    assert undo(second_action, ben).restored == 1
    with pytest.raises(bulk.BulkUndoError, match="already been undone"):
        undo(second_action, ben)
    assert (fresh(first.id).owner_id, fresh(second.id).owner_id) == (amara.id, None)
    assert len(audit_rows("bulk_undone")) == 1


def test_undoing_a_move_out_of_new_takes_back_the_first_contact_it_stamped(frozen_clock, people):
    amara, _ = people
    untouched = make_lead()
    contacted_before = make_lead(status="contacted")
    contacted_before.first_contacted_at = contacted_before.created_at
    db.session.commit()
    ids = [untouched.id, contacted_before.id]
    frozen_clock.shift(timedelta(hours=1))
    outcome = bulk.change_status(
        actions.leads_for_update(ids), "lost", amara, lost_reason="unreachable"
    )
    db.session.commit()
    assert outcome.action.summary == "Moved 2 leads to Lost (Unreachable)"
    assert fresh(untouched.id).first_contacted_at is not None
    assert fresh(untouched.id).business_seconds_to_contact is not None

    assert undo(outcome.action.id, amara).restored == 2
    lead = fresh(untouched.id)
    assert (lead.status, lead.lost_reason, lead.first_contacted_at) == ("new", None, None)
    assert lead.business_seconds_to_contact is None
    other = fresh(contacted_before.id)
    assert (other.status, other.first_contacted_at) == ("contacted", other.created_at)
    assert [e.to_status for e in events_of(untouched.id, "status")] == ["lost", "new"]


def test_a_lead_whose_previous_owner_left_stays_with_the_new_one(people):
    amara, ben = people
    lead = make_lead(owner_id=ben.id)
    action_id = assign([lead.id], amara, amara).action.id
    ben.active = False
    db.session.commit()
    result = undo(action_id, amara)
    assert (result.restored, result.cannot_go_back) == (0, 1)
    assert fresh(lead.id).owner_id == amara.id


# --- the inbox: confirm, then undo -------------------------------------------------------------


def confirmation_fields(html: str) -> MultiDict:
    """What the confirmation page's form sends: its hidden fields, as a browser would."""
    form = html.split('class="bulk-confirm__form"')[1].split("</form>")[0]
    return MultiDict(
        re.findall(r'<input (?:type="hidden" )?name="([^"]+)"[^>]* value="([^"]*)"', form)
    )


@pytest.fixture
def inbox(app, client):
    """Ben signed in on the inbox, Amara to give leads to."""
    ben = signed_in(app, client, "ben@clinic.test", name="Ben Li")
    with app.app_context():
        amara = make_staff("amara@clinic.test", name="Amara Okafor")
    token = token_from(client.get("/staff/leads").get_data(as_text=True))
    return {"ben": ben, "amara": amara, "token": token}


def test_the_confirmation_page_counts_and_lists_and_nothing_changes_before(app, client, inbox):
    amara_id = inbox["amara"].id
    with app.app_context():
        hers = make_lead("Hana Hers", owner_id=amara_id).id
        his = make_lead("Hugo His", owner_id=inbox["ben"].id).id
        free = make_lead("Fay Free").id
        gone = make_lead("Gone Gail")
        erase_lead(gone, inbox["ben"])
        db.session.commit()
        gone = gone.id
    ids = [hers, his, free, gone]
    response = client.post(
        "/staff/leads/bulk",
        data={
            "bulk-csrf_token": inbox["token"],
            "bulk-lead_ids": ids,
            "bulk-owner": str(amara_id),
            "bulk-assign": "Assign selected",
            "bulk-back": "status=new",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    text = " ".join(html.split())
    assert "<h1>Assign 2 leads to Amara Okafor?</h1>" in text
    assert "Who has them now: Ben Li (1), Unassigned (1)." in text
    assert "1 already belongs to Amara Okafor and stays as it is." in text
    assert "1 erased or merged lead can&#39;t be changed." in text
    assert "Leads that will change (2)" in text and "Leads left as they are (2)" in text
    assert f'#{his}</a></td><th scope="row">Hugo His</th><td>Ben Li</td>' in text
    assert "Assign 2 leads to Amara Okafor</button>" in text
    assert 'href="/staff/leads?status=new">Cancel, change nothing</a>' in text
    assert confirmation_fields(html).getlist("bulk-lead_ids") == [str(his), str(free)]
    with app.app_context():
        assert [fresh(lead_id).owner_id for lead_id in ids[:3]] == [amara_id, inbox["ben"].id, None]
        assert events_of(free, "assign") == [] and bulk_actions() == 0
        seen = audit_rows("leads_listed")[-1]
        assert seen.detail == f"rows=4; bulk confirmation; ids={', '.join(map(str, ids))}"


def test_confirm_then_undo_from_the_inbox(app, client, inbox):
    with app.app_context():
        ids = [make_lead().id for _ in range(2)]
    question = client.post(
        "/staff/leads/bulk",
        data={
            "bulk-csrf_token": inbox["token"],
            "bulk-lead_ids": ids,
            "bulk-status": "lost",
            "bulk-lost_reason": "cost",
            "bulk-change_status": "1",
            "bulk-back": "status=new",
        },
    ).get_data(as_text=True)
    assert "<h1>Move 2 leads to Lost (Cost)?</h1>" in question
    assert "Their stages now: New (2)." in question
    done = client.post("/staff/leads/bulk/confirm", data=confirmation_fields(question))
    assert done.headers["Location"] == "/staff/leads?status=new"
    with app.app_context():
        assert {fresh(lead_id).status for lead_id in ids} == {"lost"}
        action_id = bulk.last_action(inbox["ben"].id).id
    page = client.get(done.headers["Location"], follow_redirects=True).get_data(as_text=True)
    page = " ".join(page.split())
    assert "<strong>Done:</strong> Moved 2 leads to Lost (Cost)." in page
    assert f'action="/staff/bulk-changes/{action_id}/undo"' in page
    assert "You can undo it until" in page
    # Later pages keep the button, for the window, without repeating the news.
    page = client.get("/staff/leads", follow_redirects=True).get_data(as_text=True)
    assert "Your last bulk change: Moved 2 leads to Lost (Cost)." in page

    undone = client.post(
        f"/staff/bulk-changes/{action_id}/undo",
        data={"csrf_token": token_from(page), "back": "status=new"},
    )
    assert undone.headers["Location"] == "/staff/leads?status=new"
    page = client.get(undone.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "2 leads put back as they were before your bulk change." in page
    assert "Undo this bulk change" not in page
    with app.app_context():
        assert {(fresh(i).status, fresh(i).lost_reason) for i in ids} == {("new", None)}
    again = client.post(
        f"/staff/bulk-changes/{action_id}/undo", data={"csrf_token": token_from(page)}
    )
    page = client.get(again.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "That bulk change has already been undone." in page


def test_undo_without_the_token_or_of_an_unknown_change_is_refused(app, client, inbox):
    with app.app_context():
        lead_id = make_lead().id
        action_id = assign([lead_id], inbox["amara"], inbox["ben"]).action.id
    assert client.post(f"/staff/bulk-changes/{action_id}/undo").status_code == 400
    unknown = client.post("/staff/bulk-changes/999999/undo", data={"csrf_token": inbox["token"]})
    assert unknown.status_code == 404
    with app.app_context():
        assert fresh(lead_id).owner_id == inbox["amara"].id


def test_someone_elses_change_is_not_theirs_to_undo(app, client, inbox):
    with app.app_context():
        lead_id = make_lead().id
        admin = make_staff("admin@clinic.test", role="admin", name="Ada Admin")
        action_id = assign([lead_id], inbox["amara"], admin).action.id
    response = client.post(
        f"/staff/bulk-changes/{action_id}/undo", data={"csrf_token": inbox["token"]}
    )
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Only the person who made a bulk change can undo it." in page
    with app.app_context():
        assert fresh(lead_id).owner_id == inbox["amara"].id
        assert db.session.get(BulkAction, action_id).undone_at is None


# --- the automation page: dealing out waiting leads ----------------------------------------


def test_dealing_out_waiting_leads_is_confirmed_and_can_be_undone(app, client):
    with app.app_context():
        admin_id = make_staff("admin@clinic.test", role="admin", name="Ada Admin").id
        amara_id = make_staff("amara@clinic.test", name="Amara Okafor").id
        ben_id = make_staff("ben@clinic.test", name="Ben Li").id
        ids = [make_lead().id for _ in range(3)]
        owned = make_lead(owner_id=ben_id).id
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/automation").get_data(as_text=True)
    question = client.post(
        "/staff/automation/assign-waiting", data={"csrf_token": token_from(page)}
    ).get_data(as_text=True)
    assert "Assign the 3 leads waiting without an owner?" in question
    assert "Amara Okafor: 2 leads (round-robin)" in question
    assert "Ben Li: 1 lead (round-robin)" in question
    with app.app_context():
        late = make_lead().id  # written after the question: not dealt unseen
    done = client.post(
        "/staff/automation/assign-waiting/confirm", data=confirmation_fields(question)
    )
    assert done.headers["Location"] == "/staff/automation"
    with app.app_context():
        assert sorted(fresh(i).owner_id for i in ids) == sorted([amara_id, amara_id, ben_id])
        assert fresh(late).owner_id is None
        action = bulk.last_action(admin_id)
        assert (action.kind, action.lead_count) == ("auto_assign", 3)
    page = client.get("/staff/automation").get_data(as_text=True)
    assert "Dealt out 3 leads that were waiting without an owner." in page
    undone = client.post(
        f"/staff/bulk-changes/{action.id}/undo", data={"csrf_token": token_from(page)}
    )
    assert undone.headers["Location"] == "/staff/automation"
    with app.app_context():
        assert [fresh(i).owner_id for i in ids] == [None, None, None]
        assert fresh(owned).owner_id == ben_id


# --- the accounts list: a reset link -----------------------------------------------------------


def test_an_admin_sends_a_reset_link_from_the_accounts_list(app, client):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Ada Admin")
        casey = make_staff()
        gone = make_staff("gone@clinic.test", name="Gone Gary")
        gone.active = False
        db.session.commit()
        casey_id = casey.id
    assert sign_in(client, "admin@clinic.test").status_code == 302
    page = client.get("/staff/users").get_data(as_text=True)
    assert f'href="/staff/users/{casey_id}">Casey Coordinator</a>' in page
    assert 'Send reset link<span class="visually-hidden"> to Casey Coordinator</span>' in page
    assert "to Gone Gary" not in page and "Reactivate first" in page
    response = client.post(
        f"/staff/users/{casey_id}/send-reset-link",
        data={"csrf_token": token_from(page), "from": "users"},
    )
    assert response.headers["Location"] == "/staff/users"
    page = client.get("/staff/users").get_data(as_text=True)
    assert (
        "A password-reset link is on its way to Casey Coordinator at coord@clinic.test; it works "
        "once, within 30 minutes" in page
    )
    with app.app_context():
        [email] = db.session.execute(select(OutboxMessage)).scalars()
        assert email.recipient == "coord@clinic.test"
        assert audit_rows("password_reset_sent")[-1].detail == "coord@clinic.test"
