"""Today puts the coordinator's own work first: their new leads (oldest waiting first, with the
speed-to-lead clock), their follow-ups due now (overdue first, with a time where one was set),
their consultations today, then the clinic's new leads nobody has picked up; and every number on
it comes with the words that say what it counts."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic import templating
from clinic.extensions import db
from clinic.leads import today
from clinic.leads.erasure import erase_lead
from clinic.leads.normalise import display_phone
from clinic.models import Appointment, Lead
from tests.conftest import CLINIC_TZ, FROZEN_AT
from tests.lead_helpers import make_lead, signed_in
from tests.staff_helpers import make_staff, sign_in

CLINIC_TODAY = FROZEN_AT.date()  # Wednesday 9 December 2026, 10:00 in the clinic


def at(hours: float) -> datetime:
    """FROZEN_AT moved by some hours."""
    return FROZEN_AT + timedelta(hours=hours)


# --- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "time_set", "words"),
    [
        (CLINIC_TODAY - timedelta(days=3), None, "overdue 3 days"),
        (CLINIC_TODAY - timedelta(days=1), time(16, 0), "overdue 1 day"),
        (CLINIC_TODAY - timedelta(days=400), None, "overdue 13 months"),
        (CLINIC_TODAY - timedelta(days=996), None, "overdue 2 years"),
        (CLINIC_TODAY, time(9, 0), "overdue since 09:00"),
        (CLINIC_TODAY, time(14, 30), "due today at 14:30"),
        (CLINIC_TODAY, None, "due today"),
        (CLINIC_TODAY + timedelta(days=1), time(9, 15), "due tomorrow at 09:15"),
        (CLINIC_TODAY + timedelta(days=5), None, "due in 5 days"),
        (None, None, ""),
    ],
)
def test_follow_up_words(app, frozen_clock, on, time_set, words):
    with app.app_context():
        assert templating.follow_up_due(on, time_set) == words


def test_times_and_counts_in_words(app, frozen_clock):
    with app.app_context():
        now = datetime.now(CLINIC_TZ)
        assert templating.received(now - timedelta(days=2, hours=3)) == "received 2 days ago"
        assert templating.received(now - timedelta(seconds=20)) == "received just now"
        assert templating.waiting_for(now - timedelta(hours=19, minutes=40)) == "waiting 19 h"
        assert templating.waiting_for(now - timedelta(minutes=7)) == "waiting 7 min"
        assert templating.relative(now + timedelta(hours=3)) == "in 3 h"
        assert templating.relative(now - timedelta(minutes=25)) == "25 min ago"
        assert templating.relative(now) == "now"
        assert templating.appointment_when(now + timedelta(hours=4)) == "today at 14:00"
        assert templating.appointment_when(now + timedelta(days=1)) == "tomorrow at 10:00"
        assert templating.appointment_when(now - timedelta(days=1)) == "yesterday at 10:00"
        assert templating.appointment_when(now + timedelta(days=3)) == "Saturday at 10:00"
        assert templating.appointment_when(now + timedelta(days=9)) == "Fri 18 Dec at 10:00"
        assert templating.appointment_when(now + timedelta(days=30)) == "Fri 8 Jan 2027 at 10:00"
    assert [templating.days_words(n) for n in (0, 1, 59, 60, 729, 996)] == [
        "0 days",
        "1 day",
        "59 days",
        "2 months",
        "24 months",
        "2 years",
    ]
    assert templating.counted(1, "attempt") == "1 attempt"
    assert templating.counted(0, "attempt") == "0 attempts"
    assert templating.counted(1204, "lead") == "1,204 leads"
    assert templating.counted(2, "person", "people") == "2 people"


@pytest.mark.parametrize(
    "number",
    ["+12125550147", "+14165550123", "+18765550188", "+19999999999", "+442071838750", "+1212", ""],
)
def test_phone_numbers_read_as_phonenumbers_writes_them(number):
    assert templating.phone(number) == display_phone(number)
    assert templating.phone(None) == ""


# --- the domain -----------------------------------------------------------------------------


@pytest.fixture
def me(ctx):
    return make_staff("me@clinic.test", name="Morgan Me")


def book(lead: Lead, starts_at: datetime, **fields) -> Appointment:
    appointment = Appointment(
        lead_id=lead.id,
        starts_at=starts_at,
        duration_minutes=fields.pop("duration_minutes", 30),
        kind=fields.pop("kind", "video"),
        status=fields.pop("status", "booked"),
        booked_via="staff",
        **fields,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


def test_my_new_leads_are_mine_new_and_listed_the_longest_waiting_first(me):
    colleague = make_staff("sam@clinic.test", name="Sam")
    newest = make_lead("Newest", owner_id=me.id, ago=timedelta(minutes=5))
    oldest = make_lead("Oldest", owner_id=me.id, ago=timedelta(days=3))
    middle = make_lead("Middle", owner_id=me.id, ago=timedelta(hours=19))
    make_lead("Contacted", owner_id=me.id, status="contacted", ago=timedelta(days=9))
    make_lead("Theirs", owner_id=colleague.id, ago=timedelta(days=9))
    make_lead("Nobodys", ago=timedelta(days=9))
    erased = make_lead("Erased", owner_id=me.id, ago=timedelta(days=9))
    erase_lead(erased, me)
    db.session.commit()
    assert [lead.name for lead in today.my_new_leads(me.id)] == ["Oldest", "Middle", "Newest"]
    assert [lead.id for lead in today.my_new_leads(me.id, limit=2)] == [oldest.id, middle.id]
    assert today.count_new(me.id) == 3
    assert newest.id not in [lead.id for lead in today.new_unassigned()]


def test_follow_ups_due_today_come_in_the_order_of_their_time(me):
    mine = {"owner_id": me.id, "status": "contacted"}
    make_lead("Any Time", follow_up_on=CLINIC_TODAY, **mine)
    make_lead("Afternoon", follow_up_on=CLINIC_TODAY, follow_up_time=time(14, 30), **mine)
    make_lead("Morning", follow_up_on=CLINIC_TODAY, follow_up_time=time(9, 0), **mine)
    make_lead("Yesterday", follow_up_on=CLINIC_TODAY - timedelta(days=1), **mine)
    due = today.follow_ups_due(me.id, CLINIC_TODAY)
    assert [lead.name for lead in due.overdue] == ["Yesterday"]
    assert [lead.name for lead in due.today] == ["Morning", "Afternoon", "Any Time"]
    assert today.count_due(me.id, CLINIC_TODAY) == today.DueCount(1, 3)
    assert today.count_due(me.id, CLINIC_TODAY).total == 4


def test_consultations_today_are_mine_to_hold_or_for_my_leads(me):
    colleague = make_staff("sam@clinic.test", name="Sam Host")
    my_lead = make_lead("My Lead", owner_id=me.id, status="consult_booked")
    their_lead = make_lead("Their Lead", owner_id=colleague.id, status="consult_booked")
    held_by_me = book(their_lead, at(1), host_id=me.id)
    for_my_lead = book(my_lead, at(-1), host_id=colleague.id)  # under way, outcome not recorded
    theirs = book(their_lead, at(3), host_id=colleague.id)
    book(my_lead, at(2), status="cancelled")
    book(my_lead, at(24))  # tomorrow
    book(my_lead, FROZEN_AT.replace(hour=23, minute=50))  # late tonight, still today

    mine = today.appointments_today(CLINIC_TODAY, me.id)
    assert [booked.appointment.id for booked in mine][:2] == [for_my_lead.id, held_by_me.id]
    assert len(mine) == 3
    assert mine[0].host_name == "Sam Host" and mine[0].lead.name == "My Lead"
    everyone = today.appointments_today(CLINIC_TODAY, None)
    assert theirs.id in [booked.appointment.id for booked in everyone] and len(everyone) == 4


def test_the_next_action(me):
    now = FROZEN_AT
    new = make_lead("New Nora", owner_id=me.id, ago=timedelta(hours=2))
    overdue = make_lead(
        "Late Luke", owner_id=me.id, status="contacted", follow_up_on=CLINIC_TODAY - timedelta(1)
    )
    due = today.follow_ups_due(me.id, CLINIC_TODAY)
    nothing_due = today.FollowUps([], [])
    later = book(overdue, at(4), host_id=me.id)
    soon = book(new, at(0.5), host_id=me.id)

    def first(new_leads, follow_ups, appointments):
        found = today.next_action(me.id, new_leads, follow_ups, appointments, now)
        return found and (found.kind, found.lead.name)

    every = today.appointments_today(CLINIC_TODAY, me.id)
    assert [booked.appointment.id for booked in every] == [soon.id, later.id]
    assert first([new], due, every) == ("appointment", "New Nora")  # within the hour
    assert first([new], due, every[1:]) == ("new_lead", "New Nora")
    assert first([], due, every[1:]) == ("follow_up", "Late Luke")
    assert first([], nothing_due, every[1:]) == ("appointment", "Late Luke")
    assert first([], nothing_due, []) is None
    # Another person's consultation (an admin sees the clinic's) is not the viewer's next step.
    other = make_staff("sam@clinic.test")
    assert today.next_action(other.id, [], nothing_due, every, now) is None


# --- the page -------------------------------------------------------------------------------


def section(html: str, title_id: str) -> str:
    """The text of one card on the page, tags and spacing folded away."""
    part = html.split(f'id="{title_id}"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", part).split())


def test_a_lead_dealt_to_me_by_round_robin_is_first_on_my_today(
    frozen_clock, app, client, submit_inquiry
):
    app.config["CLINIC_AUTO_ASSIGN"] = True
    with app.app_context():
        casey = make_staff("casey@clinic.test", name="Casey Coord").id
    frozen_clock.shift(timedelta(hours=-19))
    assert submit_inquiry(name="Round Robin", phone="(212) 555-0147").status_code == 303
    frozen_clock.shift(timedelta(hours=19))
    with app.app_context():
        lead = db.session.execute(select(Lead).where(Lead.name == "Round Robin")).scalar_one()
        assert lead.owner_id == casey
    assert sign_in(client, "casey@clinic.test").status_code == 302
    html = client.get("/staff/").get_data(as_text=True)
    mine = section(html, "my-new-title")
    assert mine.startswith("My new leads 1 The longest waiting first.")
    assert "Round Robin waiting 19 h New Lupus received 19 h ago" in mine
    assert "Round Robin" not in section(html, "unassigned-title")
    # The first thing on the page (a phone's first screen): call them.
    next_up = section(html, "next-title")
    assert next_up.startswith("Next: first contact with Round Robin New lead, received 19 h ago")
    assert html.index('id="next-title"') < html.index('id="my-new-title"')
    assert 'href="tel:+12125550147"' in html.split('id="next-title"', 1)[1].split("</section>")[0]


def test_today_shows_my_work_in_order_with_words(frozen_clock, app, client):
    user = signed_in(app, client, "casey@clinic.test", name="Casey Coord")
    with app.app_context():
        colleague = make_staff("sam@clinic.test", name="Sam Host")
        worked = {"owner_id": user.id, "status": "contacted"}
        make_lead("Overdue Olive", follow_up_on=CLINIC_TODAY - timedelta(days=3), **worked)
        make_lead("Timed Tim", follow_up_on=CLINIC_TODAY, follow_up_time=time(14, 30), **worked)
        booked = make_lead("Booked Bea", owner_id=user.id, status="consult_booked")
        book(booked, at(2), host_id=colleague.id, duration_minutes=45)
        make_lead("Fresh Fay", ago=timedelta(minutes=3))
    html = client.get("/staff/").get_data(as_text=True)
    order = [html.index(f'id="{name}"') for name in (
        "my-new-title", "follow-ups-title", "appointments-title", "unassigned-title"
    )]  # fmt: skip
    assert order == sorted(order)
    assert section(html, "my-new-title").startswith("My new leads 0 No new leads waiting on you.")
    follow_ups = section(html, "follow-ups-title")
    assert follow_ups.startswith("My follow-ups due now 2 Overdue 1 Overdue Olive")
    assert "Follow-up overdue 3 days" in follow_ups
    assert "Timed Tim Follow-up due today at 14:30" in follow_ups
    consultations = section(html, "appointments-title")
    assert consultations.startswith("My consultations today 1 12:00 Booked Bea")
    assert "Video, 45 min, with Sam Host · in 2 h" in consultations
    assert "Fresh Fay waiting 3 min" in section(html, "unassigned-title")
    assert "Next: follow up with Overdue Olive" in section(html, "next-title")


def test_an_admin_sees_the_clinics_consultations_today(frozen_clock, app, client):
    admin = signed_in(app, client, "boss@clinic.test", role="admin", name="Boss Admin")
    with app.app_context():
        host = make_staff("sam@clinic.test", name="Sam Host")
        lead = make_lead("Someone Else", owner_id=host.id, status="consult_booked")
        book(lead, at(-3), host_id=host.id, kind="in_person")
        for n in range(8):
            book(lead, at(1 + n / 4), host_id=admin.id if n == 0 else host.id)
    html = client.get("/staff/").get_data(as_text=True)
    consultations = section(html, "appointments-title")
    assert consultations.startswith(
        "Consultations today 9 11:00 Someone Else Video, 30 min, with you · in 1 h"
    )
    assert "11:15 Someone Else Video, 30 min, with Sam Host" in consultations
    assert "12:30" not in consultations and "And 2 later today." in consultations
    assert (
        "Outcome not recorded yet 1 07:00 Someone Else In person, 30 min, with Sam Host · "
        "started 3 h ago"
    ) in consultations
    # The one the admin holds is their next step.
    next_up = section(html, "next-title")
    assert next_up.startswith("Next: consultation with Someone Else Video consultation today at")


def test_my_new_leads_beyond_the_list_link_to_all_of_them(frozen_clock, app, client):
    user = signed_in(app, client, "casey@clinic.test", name="Casey Coord")
    with app.app_context():
        for n in range(today.MY_NEW_LIMIT + 2):
            make_lead(f"New {n:02}", owner_id=user.id, ago=timedelta(minutes=n))
    html = client.get("/staff/").get_data(as_text=True)
    mine = section(html, "my-new-title")
    assert mine.startswith(f"My new leads {today.MY_NEW_LIMIT + 2} ")
    assert "New 21" in mine and "New 01" not in mine  # the longest waiting
    assert 'href="/staff/leads?owner=me&amp;status=new&amp;sort=oldest"' in html
    assert f"All my new leads ({today.MY_NEW_LIMIT + 2})" in mine


def test_a_follow_up_date_on_a_closed_lead_is_a_date_not_a_deadline(frozen_clock, app, client):
    signed_in(app, client, "casey@clinic.test", name="Casey Coord")
    with app.app_context():
        make_lead("Lost Lou", status="lost", lost_reason="cost", follow_up_on=date(2026, 12, 7))
    html = client.get("/staff/leads?status=lost").get_data(as_text=True)
    row = html.split("Lost Lou</a>", 1)[1].split("</tr>", 1)[0]
    assert "7 December 2026" in row and "overdue" not in row.lower()
