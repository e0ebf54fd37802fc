"""The thanks page: how and when the clinic will answer, the reference to quote on the phone, and
nothing to show to someone who sent nothing."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.clock import BusinessCalendar
from clinic.extensions import db
from clinic.leads import references
from clinic.models import Inquiry, OutboxMessage
from clinic.notify.inquiry import ACKNOWLEDGEMENT
from clinic.public.thanks import SESSION_KEY, clock_time, reply_by
from tests.conftest import CLINIC_TZ, csrf_token_from, form_token_from, valid_inquiry

NEW_YORK = ZoneInfo("America/New_York")
OFFICE_HOURS = BusinessCalendar.parse("09:00-17:00", "mon,tue,wed,thu,fri", "America/New_York")
REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """An instant in the clinic in December 2026 (the 7th is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


def lede_of(html: str) -> str:
    return re.search(r'<p class="lede">(.*?)</p>', html, re.S).group(1)


def reference_on(html: str) -> str:
    return re.search(r'<p class="sent-reference__code">(.*?)</p>', html).group(1)


# --- when the clinic answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "promise"),
    [
        (at(9, 10), "today before 5 pm"),  # Wednesday morning
        (at(9, 7, 15), "today before 5 pm"),  # before opening: the day is still ahead
        (at(9, 15, 59), "today before 5 pm"),
        (at(9, 16, 0), "tomorrow morning"),  # the last hour: too late to promise today
        (at(9, 18, 30), "tomorrow morning"),  # Wednesday evening
        (at(9, 23, 59), "tomorrow morning"),
        (at(10, 0, 5), "today before 5 pm"),  # just after midnight, Thursday
        (at(11, 12), "today before 5 pm"),  # Friday lunchtime
        (at(11, 16, 30), "on Monday morning"),  # Friday, last hour
        (at(11, 19), "on Monday morning"),  # Friday evening
        (at(12, 11), "on Monday morning"),  # Saturday
        (at(13, 21), "tomorrow morning"),  # Sunday evening: Monday is tomorrow
    ],
)
def test_the_promise_follows_business_hours_and_days(sent_at, promise):
    assert reply_by(sent_at, OFFICE_HOURS) == promise


def test_the_promise_reads_any_utc_instant_in_the_clinics_zone():
    # 22:30 UTC on a Wednesday is 17:30 in New York: after closing.
    assert reply_by(datetime.fromisoformat("2026-12-09T22:30+00:00"), OFFICE_HOURS) == (
        "tomorrow morning"
    )


def test_other_opening_hours_and_days():
    afternoons = BusinessCalendar.parse("13:00-19:30", "tue,thu,sat", "America/New_York")
    assert reply_by(at(8, 9), afternoons) == "today before 7:30 pm"  # Tuesday
    assert reply_by(at(8, 19), afternoons) == "on Thursday afternoon"
    assert reply_by(at(12, 20), afternoons) == "on Tuesday afternoon"  # Saturday night
    always = BusinessCalendar.parse("00:00-24:00", "mon,tue,wed,thu,fri,sat,sun", "Europe/Oslo")
    assert reply_by(datetime(2026, 12, 12, 12, tzinfo=ZoneInfo("Europe/Oslo")), always) == (
        "today before midnight"
    )


def test_the_day_clocks_go_back_keeps_its_closing_time():
    # 1 November 2026: New York leaves daylight saving time at 02:00. Sunday, so Monday.
    assert reply_by(at(1, 1, 30, month=11), OFFICE_HOURS) == "tomorrow morning"
    assert reply_by(at(2, 15, 30, month=11), OFFICE_HOURS) == "today before 5 pm"


@pytest.mark.parametrize(
    ("moment", "said"),
    [(time(17), "5 pm"), (time(9), "9 am"), (time(17, 30), "5:30 pm"), (time(12), "noon"),
     (time(0), "midnight"), (None, "midnight"), (time(0, 30), "12:30 am")],
)  # fmt: skip
def test_times_are_said_as_people_say_them(moment, said):
    assert clock_time(moment) == said


# --- the page after sending -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "extra", "answer"),
    [
        ("phone", {}, "call you"),
        ("email", {"phone": ""}, "email you"),
        ("sms", {"sms_consent": "y"}, "send you a text message"),
    ],
)
def test_the_page_names_the_way_chosen_and_when(client, submit_inquiry, frozen_clock, chosen,
                                                extra, answer):  # fmt: skip
    # FROZEN_AT is a Wednesday at 10:00 in the clinic.
    assert submit_inquiry(preferred_contact=chosen, **extra).status_code == 303
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert lede_of(html) == f"A patient coordinator will {answer} today before 5 pm."
    assert f"When they {answer}, they will answer your questions" in html
    assert "by the method you chose" not in html
    assert "If you gave an email address" not in html


def test_an_inquiry_on_friday_evening_is_answered_on_monday(client, submit_inquiry, frozen_clock):
    frozen_clock.move_to(datetime(2026, 12, 11, 19, 45, tzinfo=CLINIC_TZ))
    submit_inquiry()
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert lede_of(html) == "A patient coordinator will call you on Monday morning."


def test_an_inquiry_on_a_weekday_evening_is_answered_tomorrow(client, submit_inquiry, frozen_clock):
    frozen_clock.move_to(datetime(2026, 12, 9, 21, 0, tzinfo=CLINIC_TZ))
    submit_inquiry()
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert lede_of(html) == "A patient coordinator will call you tomorrow morning."


def test_the_page_gives_the_stored_reference_not_the_row_id(app, client, submit_inquiry):
    submit_inquiry()
    html = client.get("/inquire/thanks").get_data(as_text=True)
    with app.app_context():
        inquiry = db.session.execute(select(Inquiry)).scalar_one()
    assert REFERENCE.match(inquiry.reference)
    assert reference_on(html) == inquiry.reference
    assert "If you call us, give this reference" in html
    assert f">{inquiry.id}<" not in html


def test_a_double_click_shows_the_same_reference(app, client):
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    client.post("/inquire", data=data)
    first = reference_on(client.get("/inquire/thanks").get_data(as_text=True))
    client.post("/inquire", data=data)
    second = reference_on(client.get("/inquire/thanks").get_data(as_text=True))
    assert first == second
    with app.app_context():
        assert db.session.execute(select(Inquiry.reference)).scalars().all() == [first]


def test_the_session_holds_the_reference_way_and_time_only(client, submit_inquiry, frozen_clock):
    submit_inquiry(message="My kidneys, secret detail 8842")
    with client.session_transaction() as session:
        sent = dict(session[SESSION_KEY])
    # "book": the signed token of the personal booking link, which names ids only.
    assert set(sent) == {"reference", "contact", "at", "book"}
    assert "8842" not in str(sent)
    assert sent["contact"] == "phone"
    assert datetime.fromisoformat(sent["at"]) == datetime(2026, 12, 9, 10, 0, tzinfo=CLINIC_TZ)
    assert REFERENCE.match(sent["reference"])


def test_the_page_shows_once_then_leads_back_to_the_form(app, client, submit_inquiry):
    submit_inquiry(message="My kidneys are failing, secret detail 8842")
    shown = client.get("/inquire/thanks")
    assert shown.status_code == 200
    assert "8842" not in shown.get_data(as_text=True)
    with client.session_transaction() as session:
        assert SESSION_KEY not in session
    again = client.get("/inquire/thanks")
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/inquire")
    assert again.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert len(db.session.execute(select(Inquiry)).scalars().all()) == 1


def test_opened_without_sending_it_leads_to_the_form(client):
    response = client.get("/inquire/thanks")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inquire")
    assert client.get("/inquire/thanks", follow_redirects=True).request.path == "/inquire"


def test_a_failed_send_leaves_nothing_for_the_thanks_page(client, submit_inquiry):
    assert submit_inquiry(email="zoe@").status_code == 422
    assert client.get("/inquire/thanks").status_code == 303


def test_a_filled_honeypot_gets_thanks_without_a_reference(app, client, submit_inquiry):
    assert submit_inquiry(website="http://spam.example").status_code == 303
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert "Thank you, we have your inquiry" in html
    assert "sent-reference" not in html
    with app.app_context():
        assert db.session.execute(select(Inquiry)).first() is None


# --- the acknowledgement ----------------------------------------------------------------------


def test_the_acknowledgement_carries_the_reference_and_nothing_written(app, client, submit_inquiry):
    submit_inquiry(message="My kidneys are failing, secret detail 8842")
    reference = reference_on(client.get("/inquire/thanks").get_data(as_text=True))
    with app.app_context():
        body = db.session.execute(
            select(OutboxMessage.body).where(OutboxMessage.kind == ACKNOWLEDGEMENT)
        ).scalar_one()
    assert f"Your reference is {reference}: please\nquote it if you call us" in body
    assert "8842" not in body and "kidneys" not in body and "lupus" not in body.lower()


def test_each_acknowledgement_has_its_own_reference(app, submit_inquiry):
    submit_inquiry(email="one@example.com")
    submit_inquiry(email="two@example.com")
    with app.app_context():
        bodies = db.session.execute(
            select(OutboxMessage.body)
            .where(OutboxMessage.kind == ACKNOWLEDGEMENT)
            .order_by(OutboxMessage.id)
        ).scalars()
        stored = db.session.execute(select(Inquiry.reference).order_by(Inquiry.id)).scalars()
        quoted = [re.search(r"Your reference is (\S+):", body).group(1) for body in bodies]
        assert quoted == list(stored)
    assert len(set(quoted)) == 2
    assert all(references.parse_reference(code) == code for code in quoted)
