"""The privacy notice's generated part says what this installation does: webhooks (and whether
they carry personal data), emails, retention, and where to send requests."""

from __future__ import annotations

import pytest

from clinic.extensions import db
from clinic.models import WebhookEndpoint
from clinic.profile import ClinicFacts
from clinic.public import privacy_notice


def endpoint(*, personal: bool, active: bool = True, url="https://crm.example.org/hook/k3y"):
    db.session.add(
        WebhookEndpoint(
            name="Our CRM",
            url=url,
            secret="s" * 40,
            events="lead.created,lead.status_changed",
            include_personal_data=personal,
            active=active,
        )
    )
    db.session.commit()


def privacy_page(client) -> str:
    response = client.get("/privacy")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_without_webhooks_the_notice_says_nothing_leaves(client, app):
    with app.app_context():
        endpoint(personal=True, active=False)
    html = privacy_page(client)
    assert "What this website does with your details, as it is set up today" in html
    assert "None. The website does not send your inquiry to any other system" in html
    assert "webhook" not in html.lower()
    assert "crm.example.org" not in html


def test_an_active_webhook_with_personal_data_is_named_with_what_it_receives(client, app):
    with app.app_context():
        endpoint(personal=True)
    html = privacy_page(client)
    assert "None. The website does not send" not in html
    assert "(a “webhook”)" in html
    assert "<strong>crm.example.org</strong>, when your inquiry arrives, when it moves" in html
    assert "It receives your name, email address, phone number, the condition" in html
    assert "do leave the clinic’s own system" in html
    assert "k3y" not in html  # only the host: an address's path can hold a key


def test_a_webhook_without_personal_data_says_so(client, app):
    with app.app_context():
        endpoint(personal=False)
    html = privacy_page(client)
    assert "crm.example.org" in html
    assert "not your name, contact details or condition" in html
    assert "do leave the clinic’s own system" not in html


def test_emails_and_retention_follow_the_settings(client, app):
    app.config.update(
        CLINIC_SEND_ACKNOWLEDGEMENT=False, CLINIC_NOTIFY_EMAILS=[], CLINIC_RETENTION_MONTHS=24
    )
    html = privacy_page(client)
    assert "The website does not send you a confirmation email." in html
    assert "Staff are not emailed about new inquiries" in html
    assert "nothing has happened on it for 24 months" in html
    app.config.update(CLINIC_SEND_ACKNOWLEDGEMENT=True, CLINIC_NOTIFY_EMAILS=["c@clinic.test"])
    html = privacy_page(client)
    assert "you get one short confirmation (at most one a day)" in html
    assert "It does not contain your name, your condition or your message." in html


def test_what_stays_after_erasure_and_backups_are_stated(client):
    html = privacy_page(client)
    assert "What erasure removes, and what stays" in html
    assert "campaign tags" in html and "the condition you asked about" in html
    assert "Backup copies of the database still hold your details" in html
    assert "Clinic staff only" not in html


@pytest.mark.parametrize("email", ["privacy@clinic.example.org", ""])
def test_requests_go_to_the_clinics_email_when_it_has_one(client, monkeypatch, email):
    facts = ClinicFacts(name="Clinic", phone="+1 555 010 0199", hours="", email=email)
    monkeypatch.setattr(privacy_notice, "current_profile", lambda: facts)
    html = privacy_page(client)
    if email:
        assert f'Email <a href="mailto:{email}">{email}</a> or call' in html
    else:
        assert "mailto:" not in html.split("privacy-requests")[1]
        assert "Call <a href=" in html


def test_the_longest_rate_limit_window_is_named():
    assert privacy_notice._window("5/minute;30/day") == "a day"
    assert privacy_notice._window("10/hour") == "an hour"
    assert privacy_notice._window("100/2 days") == "2 days"


def test_other_pages_do_not_read_the_privacy_facts(client, monkeypatch):
    def refuse():
        raise AssertionError("read outside /privacy")

    monkeypatch.setattr(privacy_notice, "privacy_facts", refuse)
    assert client.get("/faq").status_code == 200
    assert client.get("/services").status_code == 200
