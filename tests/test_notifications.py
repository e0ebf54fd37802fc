"""What the clinic emails: PHI-free staff alerts, capped acknowledgements, daily digests."""

from __future__ import annotations

import socket
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import signals
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.models import Inquiry, Lead, OutboxMessage, utcnow
from clinic.notify import outbox
from clinic.notify.digest import queue_daily_digests
from tests.smtp_helpers import MailServer, configure_mail
from tests.staff_helpers import make_staff

PATIENT = {
    "name": "Zoë Núñez",
    "email": "zoe.nunez@example.com",
    "phone": "(212) 555-0142",
    "message": "I was diagnosed in 2019.\nWhat do the studies show?",
}
# Everything about the patient that must never appear in an email to staff.
PERSONAL_TEXT = [
    "Zoë",
    "Núñez",
    "Nunez",
    "zoe.nunez",
    "555-0142",
    "5550142",
    "diagnosed",
    "studies show",
    "lupus",
    "Lupus",
]


@pytest.fixture
def mail_server():
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailing_app(app, mail_server):
    configure_mail(app, mail_server)
    app.config["CLINIC_PUBLIC_URL"] = "https://clinic.example.org"
    return app


def outbox_rows(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.execute(query).scalars())


def send_all(app) -> outbox.SendReport:
    with app.app_context():
        return outbox.send_due(force=True)


def test_inquiry_and_its_messages_are_stored_together(app, submit_inquiry):
    assert submit_inquiry(**PATIENT).status_code == 303
    with app.app_context():
        [lead] = db.session.execute(select(Lead)).scalars().all()
        kinds = {(row.kind, row.recipient, row.lead_id) for row in outbox_rows()}
        assert kinds == {
            ("staff_new_inquiry", "coordinators@clinic.test", lead.id),
            ("acknowledgement", "zoe.nunez@example.com", lead.id),
        }


def test_an_inquiry_that_fails_after_its_messages_were_queued_leaves_no_message(ctx):
    """The messages are queued by receivers of intake's signal, in the inquiry's transaction: an
    inquiry rolled back takes them with it, so nobody is told about an inquiry never stored."""

    def fail(sender, **_):
        raise RuntimeError("a later receiver failed")

    with signals.inquiry_recorded.connected_to(fail), pytest.raises(RuntimeError):
        record_inquiry(InquiryData("Ana Lima", "ana@example.com", None, "lupus"))
    assert outbox_rows() == []
    assert db.session.execute(select(Inquiry)).scalars().all() == []
    record_inquiry(InquiryData("Ana Lima", "ana@example.com", None, "lupus"))
    db.session.commit()
    assert {row.kind for row in outbox_rows()} == {"staff_new_inquiry", "acknowledgement"}


def test_staff_alert_is_a_link_and_nothing_personal(mailing_app, submit_inquiry, mail_server):
    # A forged Host header must not shape the link: it always comes from CLINIC_PUBLIC_URL.
    response = submit_inquiry(**PATIENT)
    assert response.status_code == 303
    assert send_all(mailing_app).sent == 2
    with mailing_app.app_context():
        lead_id = db.session.execute(select(Lead.id)).scalar_one()
    [alert] = [r for r in mail_server.received if r.envelope_to == ["coordinators@clinic.test"]]
    body = alert.message.get_content()
    assert body.startswith(
        f"New inquiry — open it in the dashboard: https://clinic.example.org/staff/leads/{lead_id}"
    )
    raw = alert.raw.decode("utf-8", "replace")
    for text in PERSONAL_TEXT:
        assert text not in raw, text
    assert alert.message["Subject"] == "New inquiry — open it in the dashboard"


def test_links_ignore_the_request_host(mailing_app, client, submit_inquiry, mail_server):
    client.environ_base["HTTP_HOST"] = "attacker.example.net"
    assert submit_inquiry(**PATIENT).status_code == 303
    send_all(mailing_app)
    for received in mail_server.received:
        assert "attacker.example.net" not in received.raw.decode()


def test_acknowledgement_says_what_happens_next_without_medical_details(
    mailing_app, submit_inquiry, mail_server
):
    submit_inquiry(**PATIENT)
    send_all(mailing_app)
    [ack] = [r for r in mail_server.received if r.envelope_to == ["zoe.nunez@example.com"]]
    body = ack.message.get_content()
    assert "Thank you for contacting Northfield Regenerative Medicine Clinic" in body
    assert "what happens next" in body
    assert "+1 555 010 0199" in body and "Monday to Friday, 9 am to 5 pm" in body
    raw = ack.raw.decode("utf-8", "replace")
    for text in ("diagnosed", "studies show", "lupus", "Lupus", "555-0142", "Zoë", "Núñez"):
        assert text not in raw, text
    assert ack.message["To"] == "zoe.nunez@example.com"


def test_at_most_one_acknowledgement_per_address_per_day(mailing_app, submit_inquiry):
    submit_inquiry(**PATIENT)
    submit_inquiry(**{**PATIENT, "email": "ZOE.NUNEZ@example.com", "message": "Another"})
    submit_inquiry(**{**PATIENT, "message": "And another"})
    with mailing_app.app_context():
        assert len(outbox_rows("acknowledgement")) == 1
        assert len(outbox_rows("staff_new_inquiry")) == 3  # staff still hear about each one
        with write_transaction():
            db.session.execute(
                update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=25))
            )
    submit_inquiry(**{**PATIENT, "message": "A day later"})
    with mailing_app.app_context():
        assert len(outbox_rows("acknowledgement")) == 2


def test_acknowledgement_can_be_turned_off(app, submit_inquiry):
    app.config["CLINIC_SEND_ACKNOWLEDGEMENT"] = False
    submit_inquiry(**PATIENT)
    with app.app_context():
        assert [row.kind for row in outbox_rows()] == ["staff_new_inquiry"]


def test_line_breaks_in_a_name_cannot_add_headers_or_recipients(
    mailing_app, submit_inquiry, mail_server
):
    name = "Eve\r\nBcc: victim@example.net\r\nSubject: hacked"
    assert submit_inquiry(**{**PATIENT, "name": name}).status_code == 303
    assert send_all(mailing_app).sent == 2
    recipients = sorted(r.envelope_to[0] for r in mail_server.received)
    assert recipients == ["coordinators@clinic.test", "zoe.nunez@example.com"]
    for received in mail_server.received:
        assert received.message["Bcc"] is None
        assert "hacked" not in received.raw.decode("utf-8", "replace")
        assert "victim@example.net" not in received.raw.decode("utf-8", "replace")


def test_delivery_happens_after_the_response(mailing_app, submit_inquiry, mail_server):
    mailing_app.config["OUTBOX_SEND_AFTER_RESPONSE"] = True
    response = submit_inquiry(**PATIENT)
    assert response.status_code == 303
    assert mail_server.received == []
    response.close()  # what the WSGI server does once the response is sent
    assert len(mail_server.wait_for(2, timeout=10)) == 2
    # The mail server has the message a moment before the sender records it as sent.
    deadline = time.monotonic() + 10
    while True:
        with mailing_app.app_context():
            statuses = {row.status for row in outbox_rows()}
        if statuses == {"sent"} or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert statuses == {"sent"}


def test_the_patient_never_waits_for_a_silent_mail_server(app, submit_inquiry):
    # A server that accepts the connection and never speaks: SMTP waits for its timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_TIMEOUT_SECONDS=3,
            OUTBOX_SEND_AFTER_RESPONSE=True,
        )
        started = time.monotonic()
        response = submit_inquiry(**PATIENT)
        response.close()
        elapsed = time.monotonic() - started
    assert response.status_code == 303
    assert elapsed < 2, f"the request waited {elapsed:.1f} s on the mail server"
    with app.app_context():
        assert len(outbox_rows()) == 2  # stored; retried by `outbox send` if this try fails


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_is_used_when_a_mail_username_is_set(app, ctx):
    server = MailServer(require_auth=True)
    server.start()
    try:
        configure_mail(app, server)
        app.config.update(MAIL_USERNAME="clinic-mailer", MAIL_PASSWORD="mail-password")
        with write_transaction():
            outbox.queue("test", "a@example.com", subject="s", body="b")
        assert outbox.send_due().sent == 1
        assert server.collector.logins == ["clinic-mailer"]
    finally:
        server.stop()


def test_starttls_is_required_when_configured(app, ctx, mail_server):
    configure_mail(app, mail_server)
    app.config["MAIL_USE_TLS"] = True  # this test server offers no STARTTLS: nothing goes in clear
    with write_transaction():
        row = outbox.queue("test", "a@example.com", subject="s", body="b")
    assert outbox.send_due().retrying == 1
    assert mail_server.received == []
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).last_error.startswith("mail server unavailable")


def make_lead(owner_id: int | None, follow_up_on: date | None, status: str = "contacted") -> Lead:
    lead = Lead(
        name="Private Person",
        email="private.person@example.com",
        phone="+12125550199",
        condition_slug="lupus",
        status=status,
        owner_id=owner_id,
        follow_up_on=follow_up_on,
    )
    db.session.add(lead)
    return lead


def test_daily_digest_counts_due_and_overdue_follow_ups(mailing_app, mail_server, runner):
    with mailing_app.app_context():
        casey = make_staff("casey@clinic.test", name="Casey")
        make_staff("idle@clinic.test", name="Idle")
        today = clock.today()
        for days in (-3, -1, 0, 0, 2):
            make_lead(casey.id, today + timedelta(days=days))
        make_lead(casey.id, today - timedelta(days=1), status="lost")  # closed: not counted
        db.session.commit()
    result = runner.invoke(args=["outbox", "digest"])
    assert "1 digest(s) queued" in result.output
    assert "1 sent" in result.output
    [digest] = mail_server.received
    assert digest.envelope_to == ["casey@clinic.test"]
    body = digest.message.get_content()
    assert "Overdue:    2" in body and "Due today:  2" in body
    assert "https://clinic.example.org/staff/" in body
    raw = digest.raw.decode("utf-8", "replace")
    for text in ("Private Person", "private.person", "5550199", "lupus"):
        assert text not in raw
    # Run again the same day (a retried cron job): nothing new.
    assert "0 digest(s) queued" in runner.invoke(args=["outbox", "digest"]).output


def test_no_digest_for_someone_with_nothing_due(app, ctx):
    casey = make_staff("casey@clinic.test")
    make_lead(casey.id, clock.today() + timedelta(days=1))
    db.session.commit()
    assert queue_daily_digests() == []
