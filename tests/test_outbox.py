"""The outbox: stored with its cause, delivered once, retried with backoff, never lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import OutboxMessage, utcnow
from clinic.notify import outbox
from tests.conftest import csrf_token_from
from tests.smtp_helpers import MailServer, configure_mail

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mail_server():
    server = MailServer()
    yield server
    server.stop()


def queue_emails(count: int, kind: str = "test") -> list[int]:
    with write_transaction():
        messages = [
            outbox.queue(kind, f"person{n}@example.com", subject=f"Message {n}", body="Hello")
            for n in range(count)
        ]
        db.session.flush()
        return [message.id for message in messages]


def message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_queued_messages_roll_back_with_their_transaction(ctx):
    with pytest.raises(RuntimeError), write_transaction():
        outbox.queue("test", "a@example.com", subject="s", body="b")
        db.session.flush()
        raise RuntimeError("the inquiry failed to save")
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 0


def test_server_down_then_up_delivers_everything_once(app, ctx, mail_server, runner):
    configure_mail(app, mail_server)
    ids = queue_emails(3)

    down = outbox.send_due()
    assert (down.sent, down.retrying) == (0, 3)
    first = message(ids[0])
    assert first.status == "pending" and first.attempts == 1
    assert "mail server unavailable" in first.last_error
    assert "person0" not in first.last_error  # errors never name the recipient
    assert timedelta(seconds=50) < first.next_attempt_at - utcnow() <= timedelta(minutes=1)

    mail_server.start()
    result = runner.invoke(args=["outbox", "send"])
    assert "0 sent" in result.output  # still waiting for the retry time
    assert mail_server.received == []

    result = runner.invoke(args=["outbox", "send", "--force"])
    assert "3 sent, 0 waiting to retry, 0 failed" in result.output
    assert sorted(r.envelope_to[0] for r in mail_server.received) == [
        "person0@example.com",
        "person1@example.com",
        "person2@example.com",
    ]
    assert all(message(i).status == "sent" and message(i).sent_at for i in ids)
    assert runner.invoke(args=["outbox", "send", "--force"]).output.startswith("outbox: 0 sent")
    assert len(mail_server.received) == 3


def test_failures_back_off_then_mark_the_message_failed(app, ctx, mail_server):
    configure_mail(app, mail_server)
    app.config["OUTBOX_MAX_ATTEMPTS"] = 4
    [message_id] = queue_emails(1)
    waits = []
    for _ in range(4):
        before = utcnow()
        outbox.send_due(force=True)
        row = message(message_id)
        if row.status == "pending":
            waits.append(round((row.next_attempt_at - before).total_seconds() / 60))
    assert waits == [1, 2, 4]
    row = message(message_id)
    assert (row.status, row.attempts) == ("failed", 4)
    # A failed message is never picked up again by itself.
    mail_server.start()
    assert outbox.send_due(force=True).sent == 0
    assert outbox.retry_failed() == 1
    assert outbox.send_due().sent == 1


def test_backoff_is_capped():
    assert outbox.backoff(1, 120) == timedelta(minutes=1)
    assert outbox.backoff(5, 120) == timedelta(minutes=16)
    assert outbox.backoff(12, 120) == timedelta(minutes=120)


def test_a_refused_address_fails_at_once(app, ctx, mail_server):
    configure_mail(app, mail_server)
    mail_server.start()
    with write_transaction():
        row = outbox.queue("test", "someone@example.com\r\nBcc: victim@example.net", body="x")
    assert outbox.send_due().failed == 1
    assert message(row.id).status == "failed"
    assert mail_server.received == []


def test_mail_not_configured_leaves_messages_waiting(app, ctx, runner):
    app.config["MAIL_SERVER"] = ""
    [message_id] = queue_emails(1)
    result = runner.invoke(args=["outbox", "send"])
    assert "1 message(s) waiting for a channel that is not configured" in result.output
    row = message(message_id)
    assert (row.status, row.attempts) == ("pending", 0)


def test_a_claim_is_exclusive_until_its_lease_runs_out(app, ctx):
    [message_id] = queue_emails(1)
    [first] = outbox.claim(10, channels=["email"])
    assert outbox.claim(10, channels=["email"]) == []
    later = utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    [second] = outbox.claim(10, channels=["email"], now=later)
    assert second.id == message_id and second.attempts == 2
    # The first sender comes back late: its result no longer counts.
    assert outbox.record_result(first, None) == "superseded"
    assert outbox.record_result(second, None) == "sent"


def test_two_senders_at_once_send_each_message_exactly_once(app, mail_server):
    configure_mail(app, mail_server)
    mail_server.start()
    with app.app_context():
        ids = queue_emails(40)
    reports = []

    def sender():
        with app.app_context():
            reports.append(outbox.send_due())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(report.sent for report in reports) == 40
    recipients = [r.envelope_to[0] for r in mail_server.received]
    assert len(recipients) == len(set(recipients)) == 40
    with app.app_context():
        statuses = db.session.execute(
            select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))
        ).scalars()
        assert set(statuses) == {"sent"}


def test_sent_messages_are_pruned_after_the_keeping_period(app, ctx, mail_server):
    configure_mail(app, mail_server)
    mail_server.start()
    ids = queue_emails(2)
    outbox.send_due()
    with write_transaction():
        message(ids[0]).sent_at = utcnow() - timedelta(days=31)
    assert outbox.prune_sent(30) == 1
    assert message(ids[0]) is None and message(ids[1]).status == "sent"


def test_forget_lead_deletes_its_unsent_messages(ctx):
    with write_transaction():
        outbox.queue("acknowledgement", "zoe@example.com", body="x", lead_id=7)
        outbox.queue("acknowledgement", "other@example.com", body="x", lead_id=8)
    with write_transaction():
        assert outbox.forget_lead(7) == 1
    assert db.session.execute(select(OutboxMessage.lead_id)).scalars().all() == [8]


@pytest.mark.server  # a real `flask outbox work` process, on the real clock
def test_outbox_work_delivers_in_a_loop_and_stops_on_sigterm(app, ctx, mail_server, database_url):
    mail_server.start()
    queue_emails(2)
    env = {k: v for k, v in os.environ.items() if k != "CLINIC_CONFIG"}
    env.update(
        CLINIC_CONFIG="development",
        DATABASE_URL=database_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_server.port),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert len(mail_server.wait_for(2, timeout=20)) == 2
        queue_emails(1, kind="later")
        assert len(mail_server.wait_for(3, timeout=10)) == 3
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert "outbox: stopped" in out
    time.sleep(0.1)
    assert len(mail_server.received) == 3


def test_failed_messages_are_shown_to_admins_who_can_queue_them_again(app, client):
    from tests.staff_helpers import make_staff, sign_in

    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Ada Admin")
        make_staff("casey@clinic.test")
        with write_transaction():
            row = outbox.queue("acknowledgement", "zoe@example.com", body="x", lead_id=42)
            row.status, row.attempts, row.last_error = "failed", 12, "mail server unavailable"
            db.session.flush()
            message_id = row.id
    coordinator = app.test_client()
    sign_in(coordinator, "casey@clinic.test")
    assert "could not be sent" not in coordinator.get("/staff/").get_data(as_text=True)

    sign_in(client, "admin@clinic.test")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Notifications that could not be sent" in page
    assert "Acknowledgement to a patient" in page and "mail server unavailable" in page
    assert 'href="/staff/leads/42"' in page
    assert "zoe@example.com" not in page
    token = csrf_token_from(page)
    response = client.post("/staff/outbox/retry", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        row = message(message_id)
        assert (row.status, row.attempts) == ("pending", 0)
    assert "could not be sent" not in client.get("/staff/").get_data(as_text=True)
    assert coordinator.post("/staff/outbox/retry", data={"csrf_token": token}).status_code in (
        400,
        403,
    )
