"""Patients choosing, moving and cancelling their own consultation through their personal link."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import booking
from clinic.leads.appointments import AppointmentDetails, book_appointment
from clinic.leads.erasure import erase_lead
from clinic.leads.merge import merge_leads
from clinic.models import Appointment, Lead, OutboxMessage
from clinic.notify import booking_mail
from tests.booking_helpers import (
    FRIDAY_9,
    THURSDAY_9,
    book_path,
    booked_rows,
    invitation_of,
    key_for,
    make_host,
    manage_path,
    messages,
    slot_keys,
)
from tests.conftest import CLINIC_TZ, csrf_token_from
from tests.lead_helpers import events_of, make_lead, signed_in
from tests.staff_helpers import make_staff


def other_browser(app):
    """Another browser while the test holds the app context (``ctx``): requests then share it,
    and with it the CSRF token Flask-WTF keeps in ``g``, which belongs to one session only."""
    g.pop("csrf_token", None)
    return app.test_client()


def post_choice(client, path: str, key: str, **extra):
    g.pop("csrf_token", None)
    page = client.get(path)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "slot": key, **extra}
    return client.post(path, data=data)


def fresh_lead(lead_id: int) -> Lead:
    db.session.expire_all()
    return db.session.get_one(Lead, lead_id)


# The link -----------------------------------------------------------------------------------


def test_the_free_times_are_listed_by_day_in_the_clinic_zone_without_javascript(
    frozen_clock, ctx, client
):
    make_host()
    lead = make_lead(condition="lupus")
    page = client.get(book_path(lead))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thursday 10 December" in html
    assert "9:00 am – 9:30 am" in html
    assert "with Amara" in html
    assert "Times are in <strong>New York time</strong>, the clinic's time zone." in html
    assert key_for(THURSDAY_9) in slot_keys(html)
    assert page.headers["Cache-Control"] == "no-store"
    # Other sites see only the origin, never the token in the path (the header is the app's;
    # no stricter meta tag, as Flask-WTF needs the same-origin Referer over HTTPS).
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    # Nothing of the inquiry is asked again, and nothing about health shows.
    assert 'name="name"' not in html and 'name="email"' not in html
    assert "lupus" not in html.lower()


def test_the_browser_zone_shows_the_times_in_the_patients_own_time(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    html = client.get(book_path(lead) + "?tz=Europe/London").get_data(as_text=True)
    assert "2:00 pm – 2:30 pm" in html  # 09:00 in New York
    assert "Times are in <strong>London time</strong>, as your device is set." in html
    assert "Show the clinic's time (New York time)" in html
    # A zone that isn't one falls back to the clinic's.
    html = client.get(book_path(lead) + "?tz=Mars/Olympus").get_data(as_text=True)
    assert "New York time" in html and "9:00 am – 9:30 am" in html


def test_the_kind_is_chosen_first_when_several_are_offered(frozen_clock, ctx, client):
    make_host(kinds=("phone", "video"))
    lead = make_lead()
    html = client.get(book_path(lead)).get_data(as_text=True)
    assert "How would you like to have your consultation?" in html
    assert 'value="phone"' in html and 'value="video"' in html
    assert slot_keys(html) == []
    html = client.get(book_path(lead) + "?kind=video").get_data(as_text=True)
    assert key_for(THURSDAY_9, "video") in slot_keys(html)
    assert all(key.startswith("video@") for key in slot_keys(html))


def test_no_free_times_says_the_clinic_will_call(frozen_clock, ctx, client):
    lead = make_lead()
    html = client.get(book_path(lead)).get_data(as_text=True)
    assert "No times are free in the next 21 days" in html
    assert "we will call you" in html


def test_a_link_opens_only_its_own_lead(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    other = make_lead()
    token = booking.booking_token(lead.id, lead.id)  # its lead with another lead's inquiry id
    inquiry_of_other = book_path(other).rsplit("/", 1)[1]
    claims = booking.read_token(inquiry_of_other)
    forged = booking.booking_token(lead.id, claims.inquiry_id)
    for path in (f"/book/{forged}", "/book/not-a-token", f"/book/{token}x"):
        page = client.get(path)
        assert page.status_code == 404
        assert "This link doesn't work" in page.get_data(as_text=True)
    # A manage token is not a booking token.
    appointment = book_appointment(
        lead, AppointmentDetails(THURSDAY_9, 30, "phone"), None, booked_via="patient"
    )
    db.session.commit()
    assert client.get(f"/book/{manage_path(appointment).rsplit('/', 1)[1]}").status_code == 404


def test_an_expired_link_offers_a_fresh_one_by_email_once_an_hour(frozen_clock, ctx, client):
    make_host()
    lead = make_lead(email="pat@example.com")
    path = book_path(lead)
    frozen_clock.shift(timedelta(days=14, minutes=1))
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "This link has expired" in html and "+1 555 010 0199" in html
    token = csrf_token_from(html)
    for _ in range(2):
        answer = client.post(f"{path}/renew", data={"csrf_token": token})
        assert "If we have an email address for you" in answer.get_data(as_text=True)
    db.session.expire_all()
    [fresh_link] = messages(booking_mail.FRESH_LINK)
    assert fresh_link.recipient == "pat@example.com"
    new_path = fresh_link.body.split("http://127.0.0.1:5000", 1)[1].split()[0]
    assert client.get(new_path).status_code == 200


def test_an_erased_or_merged_lead_s_link_stops_working(frozen_clock, ctx, client):
    make_host()
    coordinator = make_staff("casey@clinic.test")
    erased, merged, kept = make_lead(), make_lead(), make_lead()
    paths = {lead.id: book_path(lead) for lead in (erased, merged, kept)}
    with write_transaction():
        erase_lead(db.session.get_one(Lead, erased.id), coordinator)
    with write_transaction():
        merge_leads(
            db.session.get_one(Lead, kept.id), db.session.get_one(Lead, merged.id), coordinator
        )
    assert client.get(paths[erased.id]).status_code == 404
    assert client.get(paths[merged.id]).status_code == 404
    assert client.get(paths[kept.id]).status_code == 200


# Booking ------------------------------------------------------------------------------------


def test_booking_moves_the_lead_and_sends_a_confirmation_with_an_invitation(
    frozen_clock, ctx, client
):
    host = make_host()
    lead = make_lead(email="pat@example.com", condition="lupus", message="My knees hurt.")
    answer = post_choice(client, book_path(lead), key_for(THURSDAY_9), tz="Europe/London")
    assert answer.status_code == 303
    [appointment] = booked_rows()
    assert (appointment.host_id, appointment.starts_at) == (host.id, THURSDAY_9)
    assert (appointment.booked_via, appointment.booked_by_id) == ("patient", None)
    assert (appointment.duration_minutes, appointment.kind) == (30, "phone")
    assert appointment.timezone_hint == "Europe/London"
    assert answer.headers["Location"].startswith("/booking/")
    lead = fresh_lead(lead.id)
    assert (lead.status, lead.first_contacted_at) == ("consult_booked", None)
    [booked] = events_of(lead.id, "appointment")
    assert booked.actor_id is None
    assert booked.body.startswith("The patient booked a consultation: Thursday 10 December")

    confirmation = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Your consultation is booked" in confirmation
    assert "Thursday 10 December 2026" in confirmation
    assert "2:00 pm – 2:30 pm (London time)" in confirmation
    assert "with Amara" in confirmation
    assert "We will call you on the phone number you gave us." in confirmation
    assert "Change the time" in confirmation and "Cancel the consultation" in confirmation

    [email] = messages(booking_mail.BOOKED)
    assert email.recipient == "pat@example.com" and email.lead_id == lead.id
    for text in (email.subject, email.body, email.payload):
        assert "lupus" not in text.lower() and "knees" not in text.lower()
    assert "Thursday 10 December 2026, 2:00 pm – 2:30 pm (London time)" in email.body
    assert "9:00 am – 9:30 am New York time, the clinic's time" in email.body
    assert "/booking/" in email.body
    calendar = invitation_of(email)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].dt == THURSDAY_9
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert str(event["SUMMARY"]) == "Consultation with Northfield Regenerative Medicine Clinic"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["UID"]) == f"appointment-{appointment.id}@127.0.0.1"
    assert "mailto:" in str(event["ORGANIZER"])


def test_the_timeline_says_the_patient_did_it(frozen_clock, app, ctx, client):
    make_host()
    lead = make_lead()
    post_choice(client, book_path(lead), key_for(THURSDAY_9))
    staff = other_browser(app)
    signed_in(app, staff, "admin@clinic.test", role="admin", name="Ada Admin")
    html = staff.get(f"/staff/leads/{lead.id}").get_data(as_text=True)
    assert "The patient booked a consultation" in html
    assert "· The patient</p>" in html


def test_a_second_visit_to_the_booking_link_shows_the_booking(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    post_choice(client, book_path(lead), key_for(THURSDAY_9))
    again = client.get(book_path(lead))
    assert again.status_code == 302
    assert again.headers["Location"].startswith("/booking/")
    assert len(booked_rows()) == 1


def test_posting_without_a_time_asks_for_one(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    answer = post_choice(client, book_path(lead), "")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "<title>Error:" in html and "Please choose a time" in html
    assert booked_rows() == []


def test_a_time_just_taken_says_so_and_lists_fresh_times(frozen_clock, ctx, client, app):
    make_host()
    first, second = make_lead(), make_lead()
    assert post_choice(client, book_path(first), key_for(THURSDAY_9)).status_code == 303
    other_client = other_browser(app)
    form_second = other_client.get(book_path(second)).get_data(as_text=True)
    answer = other_client.post(
        book_path(second),
        data={"csrf_token": csrf_token_from(form_second), "slot": key_for(THURSDAY_9)},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "that time was just taken" in html
    assert key_for(THURSDAY_9) not in slot_keys(html)
    assert slot_keys(html)  # fresh times to choose from
    assert [row.lead_id for row in booked_rows()] == [first.id]
    assert fresh_lead(second.id).status == "new"


def test_the_unique_index_decides_when_the_check_is_bypassed(frozen_clock, ctx, monkeypatch):
    """The database, not the look at free slots, refuses the second booking of a host's time."""
    host = make_host()
    first, second = make_lead(), make_lead()
    with write_transaction():
        booking.book_as_patient(db.session.get_one(Lead, first.id), key_for(THURSDAY_9), now=_now())
    slot = booking.availability.Slot(
        THURSDAY_9.astimezone(UTC), THURSDAY_9 + timedelta(minutes=30), "phone", host.id, None
    )
    monkeypatch.setattr(booking, "_slots_for", lambda key, now: [slot])
    with pytest.raises(booking.SlotTaken), write_transaction():
        booking.book_as_patient(
            db.session.get_one(Lead, second.id), key_for(THURSDAY_9), now=_now()
        )
    assert [row.lead_id for row in booked_rows()] == [first.id]
    # And a plain insert beside the booking functions is refused too.
    with pytest.raises(IntegrityError), write_transaction():
        db.session.add(
            Appointment(
                lead_id=second.id,
                starts_at=THURSDAY_9,
                duration_minutes=30,
                kind="video",
                host_id=host.id,
                status="booked",
                booked_via="staff",
            )
        )
        db.session.flush()


def test_a_time_two_hosts_offer_is_shown_once_and_goes_to_the_next_host(
    frozen_clock, ctx, client, app
):
    amara = make_host()
    ben = make_host("ben@clinic.test", "Ben Adler")
    leads = [make_lead(), make_lead(), make_lead()]
    html = client.get(book_path(leads[0])).get_data(as_text=True)
    assert slot_keys(html).count(key_for(THURSDAY_9)) == 1
    assert "with Amara" not in html  # two hosts: the booking picks one
    for lead in leads[:2]:
        assert (
            post_choice(app.test_client(), book_path(lead), key_for(THURSDAY_9)).status_code == 303
        )
    assert {row.host_id for row in booked_rows()} == {amara.id, ben.id}
    answer = post_choice(app.test_client(), book_path(leads[2]), key_for(THURSDAY_9))
    assert answer.status_code == 409


# Moving and cancelling ----------------------------------------------------------------------


def _book(client, lead, at=THURSDAY_9) -> Appointment:
    answer = post_choice(client, book_path(lead), key_for(at))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.expire_all()
    return db.session.execute(
        select(Appointment).where(Appointment.lead_id == lead.id)
    ).scalar_one()


def test_the_patient_moves_the_consultation_from_the_email_link(frozen_clock, ctx, client):
    make_host()
    lead = make_lead(email="pat@example.com")
    appointment = _book(client, lead)
    [confirmation] = messages(booking_mail.BOOKED)
    link = confirmation.body.split("http://127.0.0.1:5000", 1)[1].split()[0]
    page = client.get(f"{link}/change")
    html = page.get_data(as_text=True)
    assert "Choose a new time" in html and "Your consultation is now on" in html
    answer = client.post(
        f"{link}/change", data={"csrf_token": csrf_token_from(html), "slot": key_for(FRIDAY_9)}
    )
    assert answer.status_code == 303
    db.session.expire_all()
    moved = db.session.get_one(Appointment, appointment.id)
    assert (moved.starts_at, moved.status, moved.sequence) == (FRIDAY_9, "booked", 1)
    assert events_of(lead.id, "appointment")[-1].body.startswith(
        "The patient moved the consultation to Friday 11 December"
    )
    [update] = messages(booking_mail.MOVED)
    [event] = invitation_of(update).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1 and event["DTSTART"].dt == FRIDAY_9
    assert str(event["UID"]) == f"appointment-{appointment.id}@127.0.0.1"
    assert "Your consultation has moved" in client.get(link).get_data(as_text=True)


def test_the_patient_cancels_and_the_lead_goes_back_to_its_former_stage(frozen_clock, ctx, client):
    make_host()
    lead = make_lead(email="pat@example.com", status="contacted")
    appointment = _book(client, lead)
    assert fresh_lead(lead.id).status == "consult_booked"
    link = manage_path(appointment)
    html = client.get(f"{link}/cancel").get_data(as_text=True)
    assert "Cancel your consultation?" in html
    answer = client.post(f"{link}/cancel", data={"csrf_token": csrf_token_from(html)})
    assert answer.status_code == 303
    db.session.expire_all()
    cancelled = db.session.get_one(Appointment, appointment.id)
    assert (cancelled.status, cancelled.sequence, cancelled.settled_by_id) == ("cancelled", 1, None)
    assert fresh_lead(lead.id).status == "contacted"
    assert events_of(lead.id, "appointment")[-1].body.startswith(
        "The patient cancelled the consultation"
    )
    [notice] = messages(booking_mail.CANCELLED)
    calendar = invitation_of(notice)
    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (1, "CANCELLED")
    assert "/book/" in notice.body  # a link to choose another time
    page = client.get(link).get_data(as_text=True)
    assert "This consultation is cancelled" in page and "Choose a new time" in page
    # The freed time is offered again.
    assert key_for(THURSDAY_9) in slot_keys(client.get(book_path(lead)).get_data(as_text=True))


def test_a_new_lead_that_cancels_is_new_again(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    appointment = _book(client, lead)
    html = client.get(f"{manage_path(appointment)}/cancel").get_data(as_text=True)
    client.post(f"{manage_path(appointment)}/cancel", data={"csrf_token": csrf_token_from(html)})
    lead = fresh_lead(lead.id)
    assert (lead.status, lead.first_contacted_at) == ("new", None)


def test_a_consultation_that_has_begun_can_no_longer_be_changed(frozen_clock, ctx, client):
    make_host()
    lead = make_lead()
    appointment = _book(client, lead)
    frozen_clock.move_to(THURSDAY_9 + timedelta(minutes=5))
    link = manage_path(appointment)
    html = client.get(link).get_data(as_text=True)
    assert "Change the time" not in html
    assert client.get(f"{link}/cancel").status_code == 302
    # A manage link outlives link_days while its consultation is ahead.
    frozen_clock.move_to(THURSDAY_9 - timedelta(minutes=5))
    late = booking.manage_token(db.session.get_one(Appointment, appointment.id))
    frozen_clock.move_to(THURSDAY_9 + timedelta(days=10))
    assert client.get(f"/booking/{late}").status_code == 200  # issued under 14 days ago
    frozen_clock.move_to(THURSDAY_9 + timedelta(days=16))
    old = client.get(link)
    assert old.status_code == 410


def test_another_lead_s_appointment_can_t_be_managed(frozen_clock, ctx, client):
    make_host()
    lead, other = make_lead(), make_lead()
    appointment = _book(client, lead)
    forged = booking._serializer(booking.MANAGE_SALT).dumps(
        [other.id, booking.latest_inquiry_id(other.id), appointment.id]
    )
    assert client.get(f"/booking/{forged}").status_code == 404
    assert client.post(f"/booking/{forged}/cancel").status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get_one(Appointment, appointment.id).status == "booked"


# The thanks page and the acknowledgement ------------------------------------------------------


def test_the_thanks_page_and_acknowledgement_offer_the_link(
    frozen_clock, ctx, client, submit_inquiry
):
    make_host()
    answer = submit_inquiry()
    assert answer.status_code == 303
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert "Choose a time for your consultation" in html
    path = html.split('href="/book/', 1)[1].split('"', 1)[0]
    assert client.get(f"/book/{path}").status_code == 200
    [ack] = messages("acknowledgement")
    assert f"/book/{path}" in ack.body or "/book/" in ack.body
    link = ack.body.split("http://127.0.0.1:5000", 1)[1].split()[0]
    assert client.get(link).status_code == 200


def test_without_free_times_the_thanks_page_offers_no_link(
    frozen_clock, ctx, client, submit_inquiry
):
    submit_inquiry()
    html = client.get("/inquire/thanks").get_data(as_text=True)
    assert "Choose a time for your consultation" not in html
    [ack] = messages("acknowledgement")
    assert "/book/" not in ack.body


def test_the_email_channel_attaches_the_invitation(frozen_clock, ctx, client, app):
    from clinic.notify.mail import attach_invitation, build_message

    make_host()
    lead = make_lead(email="pat@example.com")
    _book(client, lead)
    [email] = messages(booking_mail.BOOKED)
    message = build_message(app.config, email.recipient, email.subject, email.body)
    attach_invitation(message, json.loads(email.payload))
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert "BEGIN:VCALENDAR" in part.get_content()


def _now():
    from clinic.models import utcnow

    return utcnow()


def test_clinic_zone_is_named_in_times(ctx):
    assert booking.zone_words(CLINIC_TZ) == "New York time"
    assert booking.parse_offer_key("phone@20261210T1400Z") == (
        "phone",
        THURSDAY_9.astimezone(UTC),
    )
    assert booking.parse_offer_key("phone@2026-12-10") is None
    assert booking.parse_offer_key("fax@20261210T1400Z") is None
    assert db.session.execute(select(OutboxMessage)).first() is None
