"""The lead record: contact block, inquiries and timeline as staff see them, each action as a CSRF
POST that lands on the timeline, read access in the audit log, and user text always escaped."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.leads.intake import Attribution
from clinic.models import Inquiry, Lead
from tests.conftest import FROZEN_AT
from tests.lead_helpers import audit_rows, events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def casey(app, client):
    return signed_in(app, client, "casey@clinic.test")


@pytest.fixture
def lead_id(app):
    with app.app_context():
        return make_lead(
            "Zoë Núñez",
            email="zoe@example.com",
            phone="(212) 555-0142",
            message="Line one\nLine two",
            preferred_contact="phone",
            best_time="morning",
            payment="self_pay",
            attribution=Attribution(
                utm_source="newsletter",
                utm_campaign="lupus-2026",
                referrer="https://search.example/?q=lupus",
                landing_page="/conditions/lupus",
            ),
        ).id


def page(client, lead_id) -> str:
    response = client.get(f"/staff/leads/{lead_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def lead(app, lead_id) -> Lead:
    with app.app_context():
        found = db.session.get(Lead, lead_id)
        db.session.expunge(found)
        return found


def test_record_shows_contact_consent_inquiries_and_timeline(app, client, casey, lead_id):
    html = page(client, lead_id)
    call = re.search(r'<a [^>]*href="tel:\+12125550142">(.*?)</a>', html)
    assert call and re.sub(r"<[^>]+>", "", call[1]) == "Call +1 212-555-0142"
    email = re.search(r'<a [^>]*href="mailto:zoe@example.com">(.*?)</a>', html)
    assert email and re.sub(r"<[^>]+>", "", email[1]) == "Email zoe@example.com"
    assert "Prefers <strong>phone call</strong>, best time: morning (9 am – 12 pm)." in html
    assert "Self-pay" in html
    # No consent to text messages: no text link, and the record says why.
    assert 'href="sms:' not in html and "No texts (not agreed to text messages)." in html
    assert "Consent text version" in html and "No: do not send text messages" in html
    assert '<p class="message">Line one\nLine two</p>' in html
    assert "newsletter" in html and "lupus-2026" in html
    assert "https://search.example/?q=lupus" in html and "/conditions/lupus" in html
    assert "Inquiry received" in html and "System" in html
    assert html.count("<h1") == 1
    with app.app_context():
        [viewed] = audit_rows("lead_viewed")
        assert (viewed.lead_id, viewed.actor_id) == (lead_id, casey.id)


def test_the_record_reads_top_down(frozen_clock, app, client, casey):
    """Who, how to reach them, their question, then the contact form, then the timeline; the
    other changes folded below; every figure with its words."""
    with app.app_context():
        lead_id = make_lead(
            "Ana Lima",
            phone="(212) 555-0199",
            message="Is it covered by insurance?",
            ago=timedelta(days=2),
            preferred_contact="sms",
            follow_up_on=FROZEN_AT.date() - timedelta(days=3),
        ).id
        db.session.execute(
            update(Inquiry).where(Inquiry.lead_id == lead_id).values(sms_consent=True)
        )
        db.session.commit()
    html = page(client, lead_id)
    order = [
        "<h1>Ana Lima</h1>",
        'href="tel:+12125550199"',
        'href="sms:+12125550199"',
        "Is it covered by insurance?",
        'id="step-title"',
        'id="timeline-title"',
        'id="actions-title"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions), order
    assert "received 2 days ago" in html
    assert "Follow-up overdue 3 days" in html
    assert "Overdue 3 days: choose the next date, or clear it." in html
    assert "Not contacted yet: waiting 2 days" in html
    assert '<details class="lead-actions lead-more">' in html  # folded until asked for


def test_staff_pages_are_never_cached(client, casey, lead_id):
    for path in ("/staff/", "/staff/leads", f"/staff/leads/{lead_id}"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_unknown_lead_is_404(client, casey):
    assert client.get("/staff/leads/999999").status_code == 404


def post(client, lead_id, action, prefix, **fields):
    token = token_from(page(client, lead_id))
    data = {f"{prefix}-{key}": value for key, value in fields.items()}
    data[f"{prefix}-csrf_token"] = token
    return client.post(f"/staff/leads/{lead_id}/{action}", data=data)


def test_add_note(app, client, casey, lead_id):
    response = post(client, lead_id, "notes", "note", body="Prefers Spanish.\nCall after 4.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/leads/{lead_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Note added." in html
    assert '<p class="message">Prefers Spanish.\nCall after 4.</p>' in html
    assert "Casey Coord" in html
    with app.app_context():
        [note] = events_of(lead_id, "note")
        assert note.actor_id == casey.id
        assert [row.detail for row in audit_rows("lead_changed")] == ["note added"]


def test_empty_note_shows_the_error_and_changes_nothing(app, client, casey, lead_id):
    response = post(client, lead_id, "notes", "note", body="")
    assert response.status_code == 400
    assert "Write the note before adding it." in response.get_data(as_text=True)
    with app.app_context():
        assert events_of(lead_id, "note") == []


def test_change_status_and_lost_needs_a_reason(app, client, casey, lead_id):
    response = post(client, lead_id, "status", "status", status="lost", lost_reason="")
    assert response.status_code == 400
    assert "Choose why the lead was lost." in response.get_data(as_text=True)
    assert lead(app, lead_id).status == "new"

    post(client, lead_id, "status", "status", status="contacted", lost_reason="")
    found = lead(app, lead_id)
    assert found.status == "contacted" and found.first_contacted_at is not None
    post(client, lead_id, "status", "status", status="lost", lost_reason="cost")
    html = page(client, lead_id)
    assert "Status changed from Contacted to Lost" in html
    assert "Reason: Cost" in html
    with app.app_context():
        events = events_of(lead_id, "status")
        assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
            ("new", "contacted", casey.id),
            ("contacted", "lost", casey.id),
        ]


def test_unknown_status_is_refused(app, client, casey, lead_id):
    response = post(client, lead_id, "status", "status", status="archived", lost_reason="")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert lead(app, lead_id).status == "new"


def test_assign_owner(app, client, casey, lead_id):
    post(client, lead_id, "owner", "owner", owner=str(casey.id))
    assert lead(app, lead_id).owner_id == casey.id
    html = page(client, lead_id)
    assert "Assigned to Casey Coord (was unassigned)" in html
    post(client, lead_id, "owner", "owner", owner="")
    assert lead(app, lead_id).owner_id is None


def test_deactivated_staff_cannot_be_chosen(app, client, casey, lead_id):
    with app.app_context():
        gone = make_staff("gone@clinic.test", name="Gone Person")
        gone.active = False
        db.session.commit()
        gone_id = gone.id
    response = post(client, lead_id, "owner", "owner", owner=str(gone_id))
    assert response.status_code == 400
    assert lead(app, lead_id).owner_id is None


def test_follow_up_set_cleared_and_past_dates_refused(frozen_clock, app, client, casey, lead_id):
    today = FROZEN_AT.date()  # the clinic's date on the frozen clock
    future = today + timedelta(days=3)
    response = post(
        client,
        lead_id,
        "follow-up",
        "follow_up",
        follow_up_on=future.isoformat(),
        follow_up_time="14:30",
    )
    assert response.status_code == 302
    found = lead(app, lead_id)
    assert (found.follow_up_on, found.follow_up_time) == (future, time(14, 30))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Next follow-up set for {future:%a %-d %b %Y} at 14:30." in html
    assert "Follow-up due in 3 days" in html
    response = post(
        client,
        lead_id,
        "follow-up",
        "follow_up",
        follow_up_on=(today - timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 400
    assert "Choose today or a later date" in response.get_data(as_text=True)
    assert lead(app, lead_id).follow_up_on == future
    response = post(client, lead_id, "follow-up", "follow_up", follow_up_time="09:00")
    assert response.status_code == 400
    assert "Choose the follow-up day as well as its time" in response.get_data(as_text=True)
    post(client, lead_id, "follow-up", "follow_up", follow_up_on="")
    found = lead(app, lead_id)
    assert (found.follow_up_on, found.follow_up_time) == (None, None)
    with app.app_context():
        assert len(events_of(lead_id, "follow_up")) == 2


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("notes", {"note-body": "hello"}),
        ("contact-step", {"step-channel": "call", "step-outcome": "reached"}),
        ("status", {"status-status": "contacted"}),
        ("owner", {"owner-owner": ""}),
        ("follow-up", {"follow_up-follow_up_on": "2031-01-01"}),
    ],
)
def test_every_action_needs_csrf(app, client, casey, lead_id, action, data):
    with app.app_context():
        before = len(events_of(lead_id))
    response = client.post(f"/staff/leads/{lead_id}/{action}", data=data)
    assert response.status_code == 400
    with app.app_context():
        assert len(events_of(lead_id)) == before
        assert audit_rows("lead_changed") == []
    assert lead(app, lead_id).status == "new"


def test_user_typed_text_is_escaped_everywhere(app, client, casey):
    with app.app_context():
        lead_id = make_lead(
            XSS,
            message=XSS,
            attribution=Attribution(
                utm_source=XSS,
                utm_medium=XSS,
                utm_campaign=XSS,
                utm_term=XSS,
                utm_content=XSS,
                referrer="javascript:alert(1)" + XSS,
                landing_page="/x" + XSS,
            ),
        ).id
    post(client, lead_id, "notes", "note", body=XSS)
    post(client, lead_id, "contact-step", "step", channel="call", outcome="reached", note=XSS,
         status="new")  # fmt: skip
    for path in (f"/staff/leads/{lead_id}", "/staff/leads?owner=anyone", "/staff/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert ESCAPED in html
    assert 'href="javascript:' not in client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)


def test_erased_lead_shows_the_tombstone_and_no_actions(app, client, lead_id):
    admin = signed_in(app, client, "admin@clinic.test", role="admin")
    token = token_from(client.get(f"/staff/leads/{lead_id}/erase").get_data(as_text=True))
    client.post(f"/staff/leads/{lead_id}/erase", data={"csrf_token": token})
    html = page(client, lead_id)
    assert "Zoë" not in html and "zoe@example.com" not in html and "Line one" not in html
    assert "can't be changed any more" in html
    assert "Personal details erased" in html
    assert admin.id


def test_coordinators_do_not_see_admin_actions(client, casey, lead_id):
    html = page(client, lead_id)
    assert "Merge another lead into this one" not in html
    assert "Erase details" not in html
