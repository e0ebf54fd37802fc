"""Outgoing webhooks against a real HTTP receiver on this machine: signatures, retries, privacy,
and addresses that lead inside the clinic's network refused however they are written."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from clinic.automation import safe_http, webhooks
from clinic.automation.intake import owner_for_new_lead
from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.models import AuditEntry, OutboxMessage, WebhookEndpoint, utcnow
from clinic.notify import outbox
from tests.conftest import csrf_token_from
from tests.staff_helpers import make_staff, sign_in
from tests.webhook_helpers import FakeDNS, Receiver, free_port

PUBLIC = "93.184.215.14"  # a public address; nothing connects to it, the DNS answer is fake


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """No test here asks real DNS: names get the answers a test gives them."""
    fake = FakeDNS()
    monkeypatch.setattr(safe_http, "getaddrinfo", fake)
    return fake


@pytest.fixture
def own_network(app):
    """Receivers here run on 127.0.0.1: what WEBHOOK_ALLOW_PRIVATE=true is for."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.fixture
def receiver(own_network):
    running = Receiver()
    yield running
    running.stop()


def _endpoint(url: str, personal: bool = False, events=None):
    endpoint = webhooks.save_endpoint(
        None,
        name="CRM",
        url=webhooks.check_url(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"]),
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
        ),
        pick_owner=owner_for_new_lead,
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


def test_receiver_outage_is_retried_with_backoff_and_delivered_once(ctx, own_network):
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
    assert message.last_error == "could not connect"
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


def test_client_errors_fail_for_good_and_server_errors_retry(ctx, own_network):
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
        ("https://crm.example.com:99999/hook", "starting with https://"),
        ("https://crm.example.com:0/hook", "starting with https://"),
        ("https://crm.example.com/" + "x" * 500, "under 500 characters"),
        ("http://crm.example.com/hook", "Use https://"),
        ("https://user:pw@crm.example.com/hook", "user name and password"),
        ("https://no-such-host.example.com/hook", "can't be found"),
    ],
)
def test_unsafe_addresses_are_refused(dns, url, message):
    dns.answer("crm.example.com", [PUBLIC])
    with pytest.raises(webhooks.WebhookError, match=message):
        webhooks.check_url(url, allow_private=False)


def test_a_public_name_on_any_port_is_accepted(dns):
    dns.answer("crm.example.com", [PUBLIC])
    checked = webhooks.check_url(
        " https://crm.example.com:8443/in?src=clinic ", allow_private=False
    )
    assert checked.text == "https://crm.example.com:8443/in?src=clinic"


# Every way of writing an address on this server or a private network that the resolver takes.
INSIDE_SPELLINGS = [
    "https://127.0.0.1/hook",
    "https://localhost:8443/hook",
    "https://[::1]/hook",
    "https://10.0.0.5/hook",
    "https://172.16.4.2/hook",
    "https://192.168.1.20/hook",
    "https://100.64.0.7/hook",
    "https://[fd12:3456::1]/hook",
    "https://2130706433/hook",
    "https://0177.0.0.1/hook",
    "https://0x7f.1/hook",
    "https://127.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:a00:5]/hook",
]
# Never a receiver, whatever WEBHOOK_ALLOW_PRIVATE says.
RESERVED_SPELLINGS = [
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://100.100.100.200/latest/meta-data/",
    "https://[fe80::1]/hook",
    "https://0.0.0.0/hook",
    "https://0/hook",
    "https://[::]/hook",
    "https://224.0.0.251/hook",
    "https://[ff02::1]/hook",
    "https://240.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://[::127.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[64:ff9b::a9fe:a9fe]/hook",
    "https://[2002:7f00:1::1]/hook",
]


@pytest.mark.parametrize("url", INSIDE_SPELLINGS + RESERVED_SPELLINGS)
def test_every_spelling_of_an_inside_address_is_refused(url):
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.check_url(url, allow_private=False)
    assert str(refused.value) == webhooks.PRIVATE_ADDRESS


@pytest.mark.parametrize("url", INSIDE_SPELLINGS)
def test_the_clinics_own_network_is_reachable_only_when_allowed(url):
    assert webhooks.check_url(url, allow_private=True).text == url


@pytest.mark.parametrize("url", RESERVED_SPELLINGS)
def test_link_local_metadata_and_reserved_addresses_stay_refused_when_private_is_allowed(url):
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.check_url(url, allow_private=True)
    assert str(refused.value) == webhooks.RESERVED_ADDRESS


@pytest.mark.parametrize(
    "answer",
    [
        ["10.20.30.40"],
        ["169.254.169.254"],
        ["::ffff:192.168.0.9"],
        [PUBLIC, "192.168.0.9"],  # one inside answer is enough: the resolver picks, not us
        ["2606:4700::6810:1", "fd00::9"],
    ],
)
def test_a_name_that_resolves_inside_is_refused(dns, answer):
    dns.answer("crm.example.com", answer)
    with pytest.raises(webhooks.WebhookError, match="private network"):
        webhooks.check_url("https://crm.example.com/hook", allow_private=False)


def test_plain_http_only_to_the_clinics_own_network(dns):
    dns.answer("crm.example.com", [PUBLIC])
    dns.answer("crm.clinic.lan", ["192.168.0.9"])
    with pytest.raises(webhooks.WebhookError, match="Use https://"):
        webhooks.check_url("http://crm.example.com/hook", allow_private=True)
    with pytest.raises(webhooks.WebhookError, match="Use https://"):
        webhooks.check_url("http://crm.clinic.lan/hook", allow_private=False)
    assert webhooks.check_url("http://crm.clinic.lan/hook", allow_private=True)


def test_inside_addresses_are_refused_on_the_form_and_nothing_is_stored(app, client):
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Admin")
    sign_in(client, "admin@clinic.test")
    token = csrf_token_from(client.get("/staff/automation/webhooks/new").get_data(as_text=True))
    not_refused = []
    for url in INSIDE_SPELLINGS + RESERVED_SPELLINGS:
        page = client.post(
            "/staff/automation/webhooks/new",
            data={"csrf_token": token, "name": "CRM", "url": url, "events": ["lead.created"]},
        )
        html = page.get_data(as_text=True)
        if page.status_code != 400 or webhooks.PRIVATE_ADDRESS not in html:
            not_refused.append(url)
        elif 'id="url-error"' not in html:
            not_refused.append(f"{url} (error not on the address field)")
    assert not_refused == []
    with app.app_context():
        assert db.session.execute(select(func.count(WebhookEndpoint.id))).scalar_one() == 0
        assert (
            db.session.execute(
                select(func.count(AuditEntry.id)).where(AuditEntry.action.like("webhook%"))
            ).scalar_one()
            == 0
        )


def _webhook_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "webhook")
            .order_by(OutboxMessage.id)
        ).scalars()
    )


def test_a_name_that_now_resolves_inside_is_refused_at_sending_without_connecting(ctx, dns):
    inside = Receiver()
    try:
        dns.answer("crm.example.com", [PUBLIC], ["127.0.0.1"])
        _endpoint(f"https://crm.example.com:{inside.port}/hooks/clinic", events=["lead.created"])
        _inquiry()
        report = outbox.send_due()
    finally:
        inside.stop()
    assert report.failed == 1
    assert inside.connections == 0
    [message] = _webhook_messages()
    assert (message.status, message.last_error) == ("failed", "refused: address not allowed")


def test_switching_private_addresses_off_stops_deliveries_inside(app, ctx, receiver):
    _endpoint(receiver.url, events=["lead.created"])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    _inquiry()
    assert outbox.send_due().failed == 1
    assert receiver.connections == 0
    [message] = _webhook_messages()
    assert message.last_error == "refused: address not allowed"


def test_delivery_connects_to_the_address_it_checked_not_to_a_second_answer(ctx, dns, own_network):
    honest = Receiver()
    # Same port on another loopback address: where a second lookup of the name would lead.
    rogue = Receiver(port=honest.port, host="127.0.0.2")
    try:
        dns.answer("crm.clinic.lan", ["127.0.0.1"])
        _endpoint(f"http://crm.clinic.lan:{honest.port}/hooks/clinic", events=["lead.created"])
        _inquiry()
        dns.answer("crm.clinic.lan", ["127.0.0.1"], ["127.0.0.2"])
        dns.asked.clear()
        assert outbox.send_due().sent == 1
    finally:
        honest.stop()
        rogue.stop()
    assert dns.asked == ["crm.clinic.lan"]
    assert rogue.connections == 0
    [request] = honest.requests
    assert request["headers"]["Host"] == f"crm.clinic.lan:{honest.port}"


def test_the_delivery_log_says_could_not_connect_timed_out_or_the_status(app, ctx, own_network):
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.2
    closed_port = free_port()
    # Listens but never accepts: the connection is made, no answer ever comes.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    failing = Receiver(status=500)
    try:
        for url in (
            f"http://127.0.0.1:{closed_port}/hooks/clinic",
            f"http://127.0.0.1:{silent.getsockname()[1]}/hooks/clinic",
            failing.url,
        ):
            _endpoint(url, events=["lead.created"])
        _inquiry()
        assert outbox.send_due().retrying == 3
    finally:
        failing.stop()
        silent.close()
    assert [(m.status, m.last_error) for m in _webhook_messages()] == [
        ("pending", "could not connect"),
        ("pending", "timed out"),
        ("pending", "HTTP 500"),
    ]


def test_editing_an_endpoint_is_audited_with_before_and_after(app, client, dns):
    dns.answer("crm.example.com", [PUBLIC])
    dns.answer("new-crm.example.com", ["93.184.215.15"])
    with app.app_context():
        make_staff("admin@clinic.test", role="admin", name="Admin")
    sign_in(client, "admin@clinic.test")
    token = csrf_token_from(client.get("/staff/automation/webhooks/new").get_data(as_text=True))
    created = client.post(
        "/staff/automation/webhooks/new",
        data={
            "csrf_token": token,
            "name": "CRM",
            "url": "https://crm.example.com/hooks",
            "events": ["lead.created"],
            "active": "y",
        },
    )
    page_url = created.headers["Location"]
    changed = client.post(
        page_url,
        data={
            "csrf_token": token,
            "name": "CRM",
            "url": "https://new-crm.example.com/in",
            "events": ["lead.created", "lead.assigned"],
            "include_personal_data": "y",
            "active": "y",
        },
    )
    assert changed.status_code == 302
    with app.app_context():
        endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.actor_email, AuditEntry.detail)
            .where(AuditEntry.action.like("webhook%"))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(entry) for entry in entries] == [
        (
            "webhook_created",
            "admin@clinic.test",
            f"webhook {endpoint.id} (CRM): url: https://crm.example.com/hooks; "
            "events: lead.created; personal data: off",
        ),
        (
            "webhook_changed",
            "admin@clinic.test",
            f"webhook {endpoint.id} (CRM): "
            "url: https://crm.example.com/hooks → https://new-crm.example.com/in; "
            "events: lead.created → lead.created, lead.assigned; personal data: off → on",
        ),
    ]
    audit_page = client.get("/staff/audit").get_data(as_text=True)
    assert "Webhook changed" in audit_page and "Webhook added" in audit_page


def test_extra_fields_cannot_smuggle_patient_text(ctx):
    lead = _inquiry()
    with pytest.raises(ValueError, match="ids and stages only"):
        webhooks.emit_lead_event("lead.created", lead, message="Diagnosed in 2019.")


def test_admin_adds_endpoint_sends_test_and_sees_the_delivery_log(app, client, dns, receiver):
    dns.answer("crm.example.com", [PUBLIC])
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
