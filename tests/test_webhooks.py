"""Outgoing webhooks against a real HTTP receiver on this machine: signatures, retries, privacy."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from clinic.automation import webhooks
from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.models import OutboxMessage, utcnow
from clinic.notify import outbox
from tests.conftest import csrf_token_from
from tests.staff_helpers import make_staff, sign_in


class Receiver:
    """A local HTTP server that records what it is sent and answers with ``status``."""

    def __init__(self, port: int = 0, status: int = 204):
        self.requests: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/clinic"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _endpoint(url: str, personal: bool = False, events=None):
    endpoint = webhooks.save_endpoint(
        None,
        name="CRM",
        url=url,
        events=events or list(webhooks.EVENT_TYPES),
        include_personal_data=personal,
    )
    db.session.commit()
    return endpoint


def _inquiry(n: int = 1):
    return record_inquiry(
        InquiryData(
            name="Zoë Núñez",
            email=f"zoe{n}@example.com",
            phone=f"+1212555014{n}",
            condition_slug="lupus",
            message="Diagnosed in 2019.",
        )
    ).lead


def test_events_are_signed_and_verifiable_by_the_receiver(ctx, receiver):
    endpoint = _endpoint(receiver.url)
    lead = _inquiry()
    report = outbox.send_due()
    assert report.sent == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Clinic-Event"] == "lead.created"
    assert headers["X-Clinic-Signature"].startswith("sha256=")
    assert webhooks.verify_signature(
        endpoint.secret, headers["X-Clinic-Timestamp"], body, headers["X-Clinic-Signature"]
    )
    assert not webhooks.verify_signature(
        "whsec_wrong", headers["X-Clinic-Timestamp"], body, headers["X-Clinic-Signature"]
    )
    assert not webhooks.verify_signature(
        endpoint.secret, headers["X-Clinic-Timestamp"], body + " ", headers["X-Clinic-Signature"]
    )
    old = str(int(headers["X-Clinic-Timestamp"]) - 3600)
    assert not webhooks.verify_signature(
        endpoint.secret, old, body, webhooks.sign(endpoint.secret, old, body)
    )
    event = json.loads(body)
    assert event["type"] == "lead.created"
    assert event["data"]["lead"]["id"] == lead.id
    assert event["data"]["lead"]["stage"] == "New"


def test_no_personal_data_unless_the_admin_ticks_it(ctx, receiver):
    plain = _endpoint(receiver.url)
    _endpoint(receiver.url, personal=True)
    _inquiry()
    outbox.send_due()
    assert len(receiver.requests) == 2
    by_endpoint = {}
    for request in receiver.requests:
        message = db.session.get(OutboxMessage, int(request["headers"]["X-Clinic-Delivery"]))
        by_endpoint[message.payload and json.loads(message.payload)["endpoint_id"]] = request
    plain_body = by_endpoint[plain.id]["body"]
    # Whole details, not fragments: a fragment such as "555" turns up in the random event id.
    for detail in ("Zoë", "Núñez", "zoe1@example.com", "2125550141", "lupus", "Diagnosed"):
        assert detail not in plain_body
    assert "personal" not in json.loads(plain_body)["data"]["lead"]
    [personal_body] = [r["body"] for key, r in by_endpoint.items() if key != plain.id]
    personal = json.loads(personal_body)["data"]["lead"]["personal"]
    assert personal["name"] == "Zoë Núñez"
    assert personal["email"] == "zoe1@example.com"
    assert personal["condition"] == "lupus"


def test_status_changes_and_assignments_are_sent(ctx, receiver):
    coordinator = make_staff("c@clinic.test", name="Casey")
    _endpoint(receiver.url, events=["lead.status_changed", "lead.assigned"])
    lead = _inquiry()
    actions.change_status(lead, "contacted", coordinator)
    actions.assign_owner(lead, coordinator, coordinator)
    db.session.commit()
    outbox.send_due()
    events = [json.loads(request["body"]) for request in receiver.requests]
    assert [event["type"] for event in events] == ["lead.status_changed", "lead.assigned"]
    assert events[0]["data"]["previous_status"] == "new"
    assert events[0]["data"]["lead"]["status"] == "contacted"
    assert events[1]["data"]["lead"]["owner_id"] == coordinator.id
    assert events[1]["data"]["previous_owner_id"] is None


def test_an_automatically_assigned_new_lead_is_announced_created_then_assigned(app, ctx, receiver):
    app.config["CLINIC_AUTO_ASSIGN"] = True
    coordinator = make_staff("c@clinic.test", name="Casey")
    _endpoint(receiver.url, events=["lead.created", "lead.assigned"])
    lead = _inquiry()
    db.session.commit()
    outbox.send_due()
    events = [json.loads(request["body"]) for request in receiver.requests]
    assert [event["type"] for event in events] == ["lead.created", "lead.assigned"]
    # The lead is written with its owner, so both events show it.
    assert [event["data"]["lead"]["owner_id"] for event in events] == [coordinator.id] * 2
    assert events[1]["data"]["created"] is True
    assert {event["data"]["lead"]["id"] for event in events} == {lead.id}


def test_receiver_outage_is_retried_with_backoff_and_delivered_once(ctx):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/clinic"
    _endpoint(url, events=["lead.created"])
    _inquiry()
    before = utcnow()
    report = outbox.send_due()
    assert report.retrying == 1
    [message] = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook")
    ).scalars()
    db.session.refresh(message)
    assert message.status == "pending"
    assert message.attempts == 1
    assert message.next_attempt_at >= before + timedelta(seconds=59)
    assert "could not reach the endpoint" in message.last_error
    assert outbox.send_due().sent == 0  # not due yet: back-off is respected

    back = Receiver(port=port)
    try:
        assert outbox.send_due(force=True).sent == 1
        assert outbox.send_due(force=True).sent == 0
        assert len(back.requests) == 1
    finally:
        back.stop()
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 2)


def test_client_errors_fail_for_good_and_server_errors_retry(ctx):
    failing = Receiver(status=410)
    try:
        _endpoint(failing.url, events=["lead.created"])
        _inquiry(1)
        assert outbox.send_due().failed == 1
        failing.status = 503
        _inquiry(2)
        assert outbox.send_due().retrying == 1
    finally:
        failing.stop()
    errors = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error).order_by(OutboxMessage.id)
    ).all()
    assert [tuple(row) for row in errors if row[1]] == [
        ("failed", "HTTP 410"),
        ("pending", "HTTP 503"),
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://crm.example.com/hook", "starting with https://"),
        ("http://crm.example.com/hook", "Use https://"),
        ("https://user:pw@crm.example.com/hook", "user name and password"),
    ],
)
def test_unsafe_addresses_are_refused(ctx, url, message):
    with pytest.raises(webhooks.WebhookError, match=message):
        webhooks.save_endpoint(
            None, name="CRM", url=url, events=["lead.created"], include_personal_data=False
        )


def test_extra_fields_cannot_smuggle_patient_text(ctx):
    lead = _inquiry()
    with pytest.raises(ValueError, match="ids and stages only"):
        webhooks.emit_lead_event("lead.created", lead, message="Diagnosed in 2019.")


def test_admin_adds_endpoint_sends_test_and_sees_the_delivery_log(app, client, receiver):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Admin")
        make_staff("c@clinic.test", name="Casey")
    assert sign_in(client, "admin@clinic.test").status_code == 302
    form = client.get("/staff/automation/webhooks/new").get_data(as_text=True)
    token = csrf_token_from(form)
    refused = client.post(
        "/staff/automation/webhooks/new",
        data={
            "csrf_token": token,
            "name": "CRM",
            "url": "http://crm.example.com/x",
            "events": ["lead.created"],
            "active": "y",
        },
    )
    assert refused.status_code == 400
    assert "Use https:// so lead events are encrypted" in refused.get_data(as_text=True)
    created = client.post(
        "/staff/automation/webhooks/new",
        data={
            "csrf_token": token,
            "name": "CRM",
            "url": receiver.url,
            "events": ["lead.created", "lead.assigned"],
            "active": "y",
        },
    )
    assert created.status_code == 302
    page_url = created.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "whsec_" in page
    test = client.post(page_url + "/test", data={"csrf_token": csrf_token_from(page)})
    assert test.status_code == 302
    with app.app_context():
        assert outbox.send_due().sent == 1
        endpoint = db.session.execute(select(webhooks.WebhookEndpoint)).scalar_one()
        assert endpoint.include_personal_data is False
    [request] = receiver.requests
    assert json.loads(request["body"])["type"] == "webhook.test"
    log = client.get(page_url).get_data(as_text=True)
    assert "webhook.test" in log and ">sent<" in log
    client.post("/staff/logout", data={"csrf_token": csrf_token_from(log)})
    assert sign_in(client, "c@clinic.test").status_code == 302
    assert client.get(page_url).status_code == 403
