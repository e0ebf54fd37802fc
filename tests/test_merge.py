"""Merging two leads of the same person (admins only): one record keeps everything, both
timelines and the audit log say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.merge import merge_leads
from clinic.models import Inquiry, Lead, utcnow
from tests.lead_helpers import audit_rows, events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff


@pytest.fixture
def admin(ctx):
    return make_staff("admin@clinic.test", name="Ada Admin", role="admin")


def test_merge_moves_inquiries_and_timeline_and_keeps_the_earliest_times(admin):
    now = utcnow()
    keep = make_lead("Zoe Nunez", email="zoe@example.com", ago=timedelta(days=2))
    duplicate = make_lead(
        "Zoë Núñez",
        email="zoe.work@example.com",
        phone="(212) 555-0142",
        ago=timedelta(days=5),
        first_contacted_at=now - timedelta(days=4),
        attempts=2,
        follow_up_on=now.date() + timedelta(days=1),
        status="consult_done",
    )
    actions.add_note(duplicate, "Prefers mornings", admin)
    db.session.commit()
    earliest_inquiry = duplicate.first_inquiry_at

    merge_leads(keep, duplicate, admin, now=now)
    db.session.commit()
    db.session.expire_all()
    keep, duplicate = db.session.get(Lead, keep.id), db.session.get(Lead, duplicate.id)

    assert keep.first_inquiry_at == earliest_inquiry
    assert keep.first_contacted_at == now - timedelta(days=4)
    assert (keep.inquiry_count, keep.attempts) == (2, 2)
    assert keep.name == "Zoe Nunez" and keep.email == "zoe@example.com"
    assert keep.phone == "+12125550142"  # filled in from the duplicate
    assert keep.follow_up_on == now.date() + timedelta(days=1)
    assert keep.furthest_stage == duplicate.furthest_stage == 3  # consult done, for the funnel
    inquiries = db.session.execute(
        select(func.count()).select_from(Inquiry).where(Inquiry.lead_id == keep.id)
    ).scalar_one()
    assert inquiries == 2
    assert [e.body for e in events_of(keep.id, "note")] == ["Prefers mornings"]
    assert [e.body for e in events_of(keep.id, "merge")] == [
        f"Lead #{duplicate.id} merged into this one"
    ]
    assert (duplicate.merged_into_id, duplicate.status, duplicate.lost_reason) == (
        keep.id,
        "lost",
        "duplicate",
    )
    [closing] = events_of(duplicate.id)
    assert (closing.kind, closing.body, closing.to_status) == (
        "merge",
        f"Merged into lead #{keep.id}",
        "lost",
    )
    assert sorted(row.lead_id for row in audit_rows("lead_merged")) == sorted(
        [keep.id, duplicate.id]
    )


def test_leads_merged_earlier_follow_to_the_one_that_remains(admin):
    first, second, third = make_lead(), make_lead(), make_lead()
    merge_leads(second, third, admin)
    merge_leads(first, second, admin)
    db.session.commit()
    assert db.session.get(Lead, third.id).merged_into_id == first.id


@pytest.mark.parametrize("problem", ["self", "merged", "erased"])
def test_impossible_merges_are_refused(admin, problem):
    keep = make_lead()
    other = keep if problem == "self" else make_lead()
    if problem == "merged":
        other.merged_into_id = make_lead().id
    if problem == "erased":
        other.erased_at = utcnow()
    db.session.commit()
    with pytest.raises(actions.LeadActionError):
        merge_leads(keep, other, admin)


def test_admin_merges_through_a_confirmation_page(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context():
        keep = make_lead("Keep Me", email="keep@example.com").id
        other = make_lead("Other Me", email="other@example.com").id
    record = client.get(f"/staff/leads/{keep}").get_data(as_text=True)
    assert "Merge another lead into this one" in record
    confirm = client.get(f"/staff/leads/{keep}/merge?other={other}")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert f"Merge lead #{other} into lead #{keep}?" in html
    assert "other@example.com" in html and "keep@example.com" in html
    with app.app_context():
        assert db.session.get(Lead, other).merged_into_id is None  # not merged by looking
        assert [row.lead_id for row in audit_rows("lead_viewed")][-1] == other
    response = client.post(
        f"/staff/leads/{keep}/merge",
        data={"csrf_token": token_from(html), "other": str(other)},
        follow_redirects=True,
    )
    assert f"Lead #{other} was merged into this one." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, other).merged_into_id == keep
    merged_page = client.get(f"/staff/leads/{other}").get_data(as_text=True)
    assert f'merged into <a href="/staff/leads/{keep}">lead #{keep}</a>' in merged_page


@pytest.mark.parametrize(
    ("other", "message"),
    [("999999", "There is no lead #999999."), ("", "Enter the other lead"), ("self", "itself")],
)
def test_merge_lookup_explains_what_is_wrong(app, client, other, message):
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context():
        keep = make_lead().id
    other = str(keep) if other == "self" else other
    response = client.get(f"/staff/leads/{keep}/merge?other={other}", follow_redirects=True)
    assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_merge_needs_csrf_and_admin(app, client):
    signed_in(app, client, "casey@clinic.test", role="coordinator")
    with app.app_context():
        keep, other = make_lead().id, make_lead().id
    token = token_from(client.get("/staff/leads").get_data(as_text=True))
    assert client.get(f"/staff/leads/{keep}/merge?other={other}").status_code == 403
    response = client.post(
        f"/staff/leads/{keep}/merge", data={"csrf_token": token, "other": str(other)}
    )
    assert response.status_code == 403
    response = client.post(f"/staff/leads/{keep}/merge", data={"other": str(other)})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Lead, other).merged_into_id is None
        assert audit_rows("lead_merged") == []
