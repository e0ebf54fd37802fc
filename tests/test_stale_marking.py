"""Leads that have gone quiet stand out in the inbox, so follow-up doesn't depend on memory."""

from __future__ import annotations

from datetime import timedelta

from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff, sign_in


def row_of(html: str, name: str) -> str:
    start = html.index(name)
    return html[start : html.index("</th>", start)]


def test_inbox_marks_open_leads_with_no_recent_activity(app, client):
    with app.app_context():
        make_staff("casey@clinic.test")
        make_lead("Quiet Patient", ago=timedelta(days=9), status="contacted")
        make_lead("Busy Patient", ago=timedelta(days=1), status="contacted")
        make_lead("Closed Patient", ago=timedelta(days=30), status="lost", lost_reason="cost")
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads?status=all").get_data(as_text=True)
    rows = {
        name: row_of(html, name) for name in ("Quiet Patient", "Busy Patient", "Closed Patient")
    }
    assert "Gone quiet" in rows["Quiet Patient"]
    assert "Gone quiet" not in rows["Busy Patient"]
    assert "Gone quiet" not in rows["Closed Patient"]


def test_stale_threshold_is_configurable(app, client):
    app.config["CLINIC_STALE_DAYS"] = 30
    with app.app_context():
        make_staff("casey@clinic.test")
        make_lead("Quiet Patient", ago=timedelta(days=9), status="contacted")
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads?owner=anyone").get_data(as_text=True)
    assert "Gone quiet" not in row_of(html, "Quiet Patient")


def test_plain_inbox_shows_my_due_follow_ups_first(app, client):
    from datetime import date

    with app.app_context():
        casey = make_staff("casey@clinic.test")
        make_lead(
            "Due Patient", status="contacted", owner_id=casey.id, follow_up_on=date(2020, 1, 2)
        )
        make_lead("Not Mine", status="contacted", follow_up_on=date(2020, 1, 2))
    sign_in(client, "casey@clinic.test")
    html = client.get("/staff/leads").get_data(as_text=True)
    # One line with a count (only Casey's own lead), linking to the list of them.
    line = html[html.index('<p class="due-first">') :]
    line = line[: line.index("</p>")]
    assert "Your follow-ups due now: <strong>1</strong>" in line
    assert "1 overdue" in line
    assert "view=due" in line
    due = client.get("/staff/leads?owner=me&view=due&sort=follow_up").get_data(as_text=True)
    assert "Due Patient" in due
    assert "Not Mine" not in due
    filtered = client.get("/staff/leads?condition=lupus").get_data(as_text=True)
    assert "Your follow-ups due now" not in filtered


def test_durations_read_the_way_people_say_them(app):
    from clinic.staff.lead_display import duration

    assert duration(12.4) == "12 min"
    assert duration(410.8) == "6 h 51 min"
    assert duration(120) == "2 h"
    assert duration(60 * 24 * 3) == "3 days"
    assert duration(None) == ""
