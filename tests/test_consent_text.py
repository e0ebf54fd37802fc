"""Each inquiry keeps the exact consent wording it was shown, stored once per distinct text, and
the lead record shows it."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import consent
from clinic.models import ConsentText, Inquiry, Lead
from tests.lead_helpers import make_lead, signed_in


def test_an_inquiry_stores_the_wording_it_was_shown(client, app, submit_inquiry):
    assert submit_inquiry().status_code == 303
    assert submit_inquiry(email="other@example.com", phone="(212) 555-0199").status_code == 303
    with app.app_context():
        [stored] = db.session.execute(select(ConsentText)).scalars().all()
        assert stored.text == consent.shown_wording()
        assert consent.CONSENT_TEXT in stored.text and consent.SMS_CONSENT_TEXT in stored.text
        assert stored.sha256 == hashlib.sha256(stored.text.encode()).hexdigest()
        assert stored.version == consent.CONSENT_VERSION
        inquiries = db.session.execute(select(Inquiry)).scalars().all()
        assert len(inquiries) == 2
        assert {inquiry.consent_text_id for inquiry in inquiries} == {stored.id}


def test_the_form_shows_the_wording_that_is_stored(client):
    html = client.get("/inquire").get_data(as_text=True)
    # Both checkbox labels, exactly as stored (the form escapes nothing in them).
    assert consent.CONSENT_TEXT in html and consent.SMS_CONSENT_TEXT in html


def test_new_wording_is_a_new_row_and_the_same_wording_is_not(ctx):
    first = consent.current_text_id()
    again = consent.text_id("another label", consent.shown_wording())
    changed = consent.text_id("2027-01-01", "I agree to something else.")
    assert first == again
    assert changed != first
    assert consent.text_for_version("2027-01-01").text == "I agree to something else."
    assert consent.text_for_version("never used") is None
    assert consent.current_text().id == first


def test_the_record_shows_the_exact_wording_agreed_to(app, client, submit_inquiry):
    submit_inquiry()
    with app.app_context():
        lead_id = db.session.execute(select(Lead.id)).scalar_one()
    signed_in(app, client, "coord@clinic.test")
    html = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert '<details class="consent-text">' in html
    assert "The exact wording they agreed to" in html
    assert consent.CONSENT_TEXT in html


def test_an_older_inquiry_shows_the_wording_stored_for_its_version(app, client):
    with app.app_context():
        consent.current_text_id()
        lead = make_lead("Pat Older")  # stored without a consent_text_id, as before 0026
        lead_id = lead.id
        assert db.session.execute(select(Inquiry.consent_text_id)).scalar_one() is None
    signed_in(app, client, "coord@clinic.test")
    html = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "The exact wording of this version" in html
    assert consent.CONSENT_TEXT in html
    assert "Sent before each inquiry kept its own copy of the wording" in html
