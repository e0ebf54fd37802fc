"""Recording a contact from the lead record in one step: one POST logs the attempt, moves the
stage (booking the consultation for "consult booked") and sets the next follow-up, shown as one
group on the timeline; the form starts on the person's preferred channel with no outcome chosen,
and a refused step changes nothing and shows what was typed."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Appointment, Lead
from tests.conftest import FROZEN_AT
from tests.lead_helpers import events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff

TODAY = FROZEN_AT.date()  # Wednesday 9 December 2026 at the clinic
FRIDAY = TODAY + timedelta(days=2)


@pytest.fixture
def casey(app, client):
    return signed_in(app, client, "casey@clinic.test")


@pytest.fixture
def lead_id(app):
    with app.app_context():
        return make_lead(
            "Zoë Núñez", phone="(212) 555-0142", preferred_contact="email", owner_id=None
        ).id


def record(client, lead_id) -> str:
    response = client.get(f"/staff/leads/{lead_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def step(client, lead_id, **fields):
    """Post the contact form as a browser would: the fields it shows, as they start, then
    ``fields`` over them (None leaves one out)."""
    html = record(client, lead_id)
    data = {
        "step-csrf_token": token_from(html),
        "step-status": _selected(html, "step-status"),
        "step-follow_up_on": "",
        "step-follow_up_time": "",
        "step-duration_minutes": "30",
        "step-kind": "",
        "step-host": "",
    }
    data.update({f"step-{key}": value for key, value in fields.items()})
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(f"/staff/leads/{lead_id}/contact-step", data=data)


def _selected(html: str, name: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert select_html, name
    return re.search(r'<option selected value="([^"]*)"', select_html[0])[1]


def fresh(app, lead_id) -> Lead:
    with app.app_context():
        found = db.session.get(Lead, lead_id)
        db.session.expunge(found)
        return found


def test_one_post_logs_the_contact_moves_the_stage_and_sets_the_follow_up(
    frozen_clock, app, client, casey, lead_id
):
    response = step(
        client,
        lead_id,
        channel="email",
        outcome="replied",
        note="Sent the lupus study summary.",
        status="contacted",
        follow_up_on=FRIDAY.isoformat(),
        follow_up_time="14:30",
    )
    assert response.status_code == 302
    found = fresh(app, lead_id)
    assert (found.status, found.attempts) == ("contacted", 1)
    assert (found.follow_up_on, found.follow_up_time) == (FRIDAY, time(14, 30))
    assert found.first_contacted_at == FROZEN_AT
    with app.app_context():
        made = [e for e in events_of(lead_id) if e.actor_id == casey.id]
        assert [(e.kind, e.channel, e.outcome, e.to_status) for e in made] == [
            ("contact", "email", "replied", None),
            ("status", None, None, "contacted"),
            ("follow_up", None, None, None),
        ]
        assert len({e.created_at for e in made}) == 1

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Email logged (replied); attempt 1. Status is now Contacted. "
        "Next follow-up Fri 11 Dec 2026 at 14:30 (was none)." in html
    )
    # One timeline item holds the three entries, in the order they were made.
    timeline = html[html.index('id="timeline"') :]
    first_item = timeline[timeline.index("<li") : timeline.index("</li>")]
    entries = re.findall(r'<div class="timeline__entry timeline__entry--(\w+)">', first_item)
    assert entries == ["contact", "status", "follow_up"]
    assert "Sent the lupus study summary." in first_item


def test_the_form_starts_on_the_preferred_channel_with_no_outcome(client, casey, lead_id):
    html = record(client, lead_id)
    assert re.search(r'<input checked id="step-channel-1" name="step-channel" type="radio"'
                     r' value="email">', html)  # fmt: skip
    assert not re.search(r'name="step-outcome"[^>]*checked|checked[^>]*name="step-outcome"', html)
    # Without scripts every outcome is offered, grouped by the channels that have it.
    assert 'data-channels="call"' in html and 'data-channels="email sms"' in html
    assert "For an email or a text message" in html
    for value in ("reached", "no_answer", "voicemail", "wrong_number", "sent", "replied"):
        assert f'name="step-outcome" type="radio" value="{value}"' in html


def test_a_lead_with_no_preference_starts_with_no_channel(app, client, casey):
    with app.app_context():
        lead_id = make_lead(preferred_contact=None).id
    html = record(client, lead_id)
    assert not re.search(r'checked id="step-channel', html)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"channel": "email", "outcome": "reached"},
         "Choose what happened with the email: sent, replied, bounced."),
        ({"channel": "call", "outcome": None}, "Choose what happened."),
        ({"channel": None, "outcome": "sent"}, "Choose how you contacted the person."),
        ({"channel": "call", "outcome": "no_answer", "follow_up_time": "09:00"},
         "Choose the follow-up day as well as its time, or clear the time."),
        ({"channel": "call", "outcome": "no_answer", "follow_up_on": "2026-12-08"},
         "Choose today or a later date for the next follow-up."),
        ({"channel": "call", "outcome": "reached", "status": "lost"},
         "Choose why the lead was lost."),
        ({"channel": "call", "outcome": "reached", "appointment_on": "2026-12-10",
          "appointment_at": "10:00"},
         "Choose “Consult booked” to book the consultation, or clear its date and time."),
    ],
)  # fmt: skip
def test_a_refused_step_changes_nothing_and_keeps_what_was_typed(
    frozen_clock, app, client, casey, lead_id, fields, error
):
    response = step(client, lead_id, note="Asked about costs & travel", **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error in html
    assert "Asked about costs &amp; travel</textarea>" in html
    found = fresh(app, lead_id)
    assert (found.status, found.attempts, found.follow_up_on) == ("new", 0, None)
    with app.app_context():
        assert [e.kind for e in events_of(lead_id)] == ["inquiry"]


def test_consult_booked_needs_the_consultation(frozen_clock, app, client, casey, lead_id):
    response = step(client, lead_id, channel="call", outcome="reached", status="consult_booked")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give the consultation&#39;s date." in html
    assert "Choose phone, video or in person." in html
    assert '<option selected value="consult_booked">' in html  # the choice is kept
    with app.app_context():
        assert db.session.execute(select(Appointment)).first() is None
        assert [e.kind for e in events_of(lead_id)] == ["inquiry"]


def test_consult_booked_books_the_consultation_in_the_same_step(
    frozen_clock, app, client, casey, lead_id
):
    with app.app_context():
        host = make_staff("amara@clinic.test", name="Amara Okafor")
    response = step(
        client,
        lead_id,
        channel="call",
        outcome="reached",
        status="consult_booked",
        appointment_on="2026-12-10",
        appointment_at="10:00",
        duration_minutes="45",
        kind="video",
        host=str(host.id),
        location="https://meet.example/zn",
        follow_up_on="2026-12-11",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    found = fresh(app, lead_id)
    assert found.status == "consult_booked" and found.follow_up_on == FRIDAY
    with app.app_context():
        [booked] = db.session.execute(select(Appointment)).scalars()
        assert booked.starts_at == FROZEN_AT.replace(day=10)
        assert (booked.duration_minutes, booked.kind, booked.host_id) == (45, "video", host.id)
        assert booked.lead_id == lead_id and booked.booked_by_id == casey.id
        made = [e.kind for e in events_of(lead_id) if e.actor_id == casey.id]
        assert made == ["contact", "status", "appointment", "follow_up"]
    html = record(client, lead_id)
    assert "Consultation booked: Thursday 10 December, 10:00–10:45, video, with Amara Okafor" in (
        html
    )
    assert "Tomorrow at 10:00" in html
    assert "Consultation tomorrow at 10:00" in html


def test_an_overdue_follow_up_must_be_moved_or_cleared(frozen_clock, app, client, casey):
    with app.app_context():
        lead_id = make_lead(follow_up_on=TODAY - timedelta(days=2)).id
    html = record(client, lead_id)
    assert 'value="2026-12-07"' in html  # the current follow-up, as it is
    response = step(client, lead_id, channel="call", outcome="no_answer", follow_up_on="2026-12-07")
    assert response.status_code == 400
    response = step(client, lead_id, channel="call", outcome="no_answer", follow_up_on="")
    assert response.status_code == 302
    assert fresh(app, lead_id).follow_up_on is None


def test_a_merged_lead_refuses_the_step_with_a_message(app, client, casey):
    with app.app_context():
        keep_id = make_lead().id
        lead_id = make_lead().id
        db.session.get(Lead, lead_id).merged_into_id = keep_id
        db.session.commit()
    token = token_from(record(client, keep_id))
    response = client.post(
        f"/staff/leads/{lead_id}/contact-step",
        data={"step-csrf_token": token, "step-channel": "call", "step-outcome": "reached"},
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "work on that one instead" in html
    assert fresh(app, lead_id).attempts == 0
