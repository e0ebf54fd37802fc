"""Private calendar feeds: made on the availability page (the address shown once, only a hash
stored), read by token alone as an iCalendar file in the clinic's zone whose entries say
"Consultation #ref" and nothing about the patient; revoked or unknown tokens get 404."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import calendar_feed
from clinic.models import Appointment, CalendarFeed, Inquiry, utcnow
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, make_lead, signed_in, token_from

FEED_URL = re.compile(r'id="feed-url" type="text" readonly value="(http://[^"]+)"')


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CLINIC_TZ)


@pytest.fixture
def host(app, client, frozen_clock):
    return signed_in(app, client, "amara@clinic.test", name="Amara Okafor", role="admin")


@pytest.fixture
def booked(app, host):
    """Zoë's video consultation, a visit in person, and a cancelled call, all Amara's."""
    with app.app_context():
        lead = make_lead(
            "Zoë Núñez",
            email="zoe.nunez@example.com",
            phone="(212) 555-0142",
            condition="lupus",
            message="Diagnosed with lupus in 2019; knee pain.",
        )
        inquiry = db.session.execute(select(Inquiry).where(Inquiry.lead_id == lead.id)).scalar_one()
        inquiry.reference = "K7M4-QX2P"
        made = utcnow() - timedelta(days=2)
        rows = [
            Appointment(
                lead_id=lead.id,
                starts_at=local(10, 14),
                duration_minutes=45,
                kind="video",
                location="https://meet.example/zoe-nunez",
                host_id=host.id,
                status="booked",
                note="Zoë's daughter joins",
                created_at=made,
                updated_at=made,
            ),
            Appointment(
                lead_id=lead.id,
                starts_at=local(14, 9),
                duration_minutes=30,
                kind="in_person",
                location="Room 2, 14 Elm Street",
                host_id=host.id,
                status="booked",
                created_at=made,
                updated_at=made + timedelta(hours=1),
            ),
            Appointment(
                lead_id=lead.id,
                starts_at=local(15, 11),
                duration_minutes=30,
                kind="phone",
                location="+12125550142",
                host_id=host.id,
                status="cancelled",
                created_at=made,
                updated_at=made + timedelta(hours=2),
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return {"lead": lead.id, "ids": [row.id for row in rows]}


def make_feed(client) -> str:
    page = client.get("/staff/availability").get_data(as_text=True)
    response = client.post("/staff/availability/feed", data={"csrf_token": token_from(page)})
    assert response.status_code == 200
    match = FEED_URL.search(response.get_data(as_text=True))
    assert match, "the new address is shown"
    return match.group(1)


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_feed_lists_consultations_without_patient_details(app, client, booked):
    url = make_feed(client)
    assert re.fullmatch(r"http://localhost/calendar/[A-Za-z0-9_-]{43}\.ics", url)
    client.post(
        "/staff/logout",
        data={"csrf_token": token_from(client.get("/staff/").get_data(as_text=True))},
    )
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data(as_text=True)
    for secret in (
        "Zoë",
        "Núñez",
        "Nunez",
        "zoe.nunez@example.com",
        "555",
        "0142",
        "lupus",
        "Lupus",
        "knee",
        "daughter",
        "meet.example",
    ):
        assert secret not in body, secret

    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]).endswith(": consultations")
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    video, visit, cancelled = (events[f"consultation-{i}@localhost"] for i in booked["ids"])
    assert str(video["SUMMARY"]) == "Consultation #K7M4-QX2P"
    start = video.decoded("DTSTART")
    assert start == local(10, 14) and str(start.tzinfo) == "America/New_York"
    assert video.decoded("DTEND") == local(10, 14, 45)
    assert str(video["DESCRIPTION"]) == f"http://localhost/staff/leads/{booked['lead']}"
    assert "LOCATION" not in video
    assert str(video["STATUS"]) == "CONFIRMED"
    assert str(visit["LOCATION"]) == "Room 2, 14 Elm Street"
    assert int(visit["SEQUENCE"]) > int(video["SEQUENCE"]) == 0
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_only_a_hash_is_stored_and_fetches_are_noted(app, client, booked):
    url = make_feed(client)
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    with app.app_context():
        feed = db.session.execute(select(CalendarFeed)).scalar_one()
        assert feed.token_hash == calendar_feed.token_hash(token)
        assert token not in feed.token_hash
        assert feed.last_fetched_at is None
        assert len(audit_rows("calendar feed created")) == 1
    client.get(path_of(url))
    with app.app_context():
        assert db.session.execute(select(CalendarFeed.last_fetched_at)).scalar_one() == utcnow()
    # The page no longer shows the address, only that one works.
    page = client.get("/staff/availability").get_data(as_text=True)
    assert token not in page
    assert "A feed address is working" in page


def test_revoked_replaced_and_unknown_tokens_get_404(app, client, booked):
    first = make_feed(client)
    second = make_feed(client)  # a new address stops the old one
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 200
    page = client.get("/staff/availability").get_data(as_text=True)
    client.post(
        f"/staff/availability/{_my_id(app)}/feed/revoke", data={"csrf_token": token_from(page)}
    )
    assert client.get(path_of(second)).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 300 + ".ics").status_code == 404
    with app.app_context():
        assert len(audit_rows("calendar feed revoked")) == 1


def test_a_deactivated_owner_s_feed_stops(app, client, booked):
    url = make_feed(client)
    with app.app_context():
        from clinic.models import StaffUser

        db.session.execute(select(StaffUser)).scalar_one().active = False
        db.session.commit()
    assert client.get(path_of(url)).status_code == 404


def _my_id(app) -> int:
    with app.app_context():
        from clinic.models import StaffUser

        return db.session.execute(
            select(StaffUser.id).where(StaffUser.email == "amara@clinic.test")
        ).scalar_one()
