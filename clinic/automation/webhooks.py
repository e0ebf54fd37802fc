"""Outgoing webhooks: signed JSON events about leads, delivered through the outbox.

An event is queued in the same transaction as the change it describes, one outbox message per
endpoint, so it is sent only if the change is saved and is retried with back-off while the
receiver is down. The body is signed when it is sent:

    X-Clinic-Timestamp: <unix seconds>
    X-Clinic-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

Events carry ids and stages only. Name, contact details and condition are added only for an
endpoint whose admin ticked "include personal data" — they are health information.

Events go only to public internet addresses over https (clinic.automation.safe_http): the host
is resolved when the endpoint is saved and again for every delivery, and each delivery connects
to an address it checked. WEBHOOK_ALLOW_PRIVATE lets in a receiver on the clinic's own network,
and only then plain http, to such an address. Any port is accepted: the address check is what
keeps events off the clinic's network, and a public host's ports are open to anyone anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from clinic import audit
from clinic.automation import safe_http
from clinic.extensions import db
from clinic.leads.pipeline import STATUS_LABELS
from clinic.models import Lead, OutboxMessage, WebhookEndpoint, utcnow
from clinic.models.automation import event_names
from clinic.notify import outbox
from clinic.notify.senders import Delivery, DeliveryError, Sender

CHANNEL = "webhook"
KIND = "webhook"
EVENT_TYPES = {
    "lead.created": "A new lead wrote in",
    "lead.status_changed": "A lead moved to another stage",
    "lead.assigned": "A lead was given to a coordinator",
}
TEST_EVENT = "webhook.test"
# What callers may add to an event: ids and stages, never anything a patient wrote.
EXTRA_FIELDS = {"previous_status", "previous_owner_id", "created"}
TIMESTAMP_HEADER = "X-Clinic-Timestamp"
SIGNATURE_HEADER = "X-Clinic-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10
RETRYABLE_STATUSES = {408, 425, 429}
URL_MAX = 500
DEFAULT_PORTS = {"https": 443, "http": 80}

FULL_ADDRESS = "Enter the full address, starting with https://."
USE_HTTPS = "Use https:// so lead events are encrypted on their way."
UNKNOWN_HOST = "That host name can't be found: check the address for typing mistakes."
PRIVATE_ADDRESS = (
    "That address is on a private network or this server; webhooks can only go to public "
    "internet addresses."
)
RESERVED_ADDRESS = (
    "That address is reserved (link-local, multicast or a cloud metadata service); webhooks can "
    "only go to public internet addresses or the clinic's own network."
)
# All the delivery log ever says about a failure besides the HTTP status: the system's own error
# texts would tell whoever reads the log which hosts and ports answer.
REFUSED = "refused: address not allowed"
COULD_NOT_CONNECT = "could not connect"
TIMED_OUT = "timed out"


class WebhookError(ValueError):
    """An endpoint can't be saved as given; the message says what to fix."""


@dataclass(frozen=True)
class CheckedURL:
    """A webhook address check_url accepted: the only kind save_endpoint stores."""

    text: str


@dataclass(frozen=True)
class Destination:
    """Where a webhook address points, taken apart for a pinned connection."""

    scheme: str
    host: str  # ASCII (IDNA) host name or IP address, without brackets
    port: int
    path: str  # path and query string


def recipient_for(endpoint_id: int) -> str:
    return f"webhook:{endpoint_id}"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: str) -> str:
    """The signature header value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: str, signature: str, *, now: float | None = None
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    if not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _destination(url: str) -> Destination:
    """:raise WebhookError: not a full http(s) address, or one with a user name in it."""
    if len(url) > URL_MAX:
        raise WebhookError(f"Keep the address under {URL_MAX} characters.")
    parts = urlsplit(url)
    try:
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):  # a port out of range, a host name IDNA can't encode
        raise WebhookError(FULL_ADDRESS) from None
    if parts.scheme not in DEFAULT_PORTS or not host or port == 0:
        raise WebhookError(FULL_ADDRESS)
    if parts.username or parts.password:
        raise WebhookError("Leave the user name and password out of the address.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme], path)


def _addresses(destination: Destination, *, allow_private: bool) -> list[safe_http.IPAddress]:
    """The addresses a delivery may connect to, every one allowed; plain http only inside.

    :raise WebhookError: plain http to the public internet, or without WEBHOOK_ALLOW_PRIVATE.
    :raise safe_http.HostNotFound: the host does not resolve.
    :raise safe_http.AddressNotAllowed: it names an address webhooks may not go to.
    """
    if destination.scheme == "http" and not allow_private:
        raise WebhookError(USE_HTTPS)
    addresses = safe_http.vetted_addresses(
        destination.host, destination.port, allow_private=allow_private
    )
    if destination.scheme == "http" and any(safe_http.is_public(a) for a in addresses):
        raise WebhookError(USE_HTTPS)
    return addresses


def check_url(url: str, *, allow_private: bool) -> CheckedURL:
    """Accept an address only if every address its host resolves to may be sent to.

    It asks DNS, so call it before opening a write transaction.

    :raise WebhookError: what to fix — the form of the address, https, a host name that can't be
        found, or an address on a private network (or reserved) in whatever spelling.
    """
    url = url.strip()
    try:
        _addresses(_destination(url), allow_private=allow_private)
    except safe_http.HostNotFound:
        raise WebhookError(UNKNOWN_HOST) from None
    except safe_http.AddressNotAllowed:
        raise WebhookError(RESERVED_ADDRESS if allow_private else PRIVATE_ADDRESS) from None
    return CheckedURL(url)


def check_events(events: list[str]) -> list[str]:
    """:raise WebhookError: when no known event is chosen."""
    chosen = [name for name in EVENT_TYPES if name in events]
    if not chosen:
        raise WebhookError("Choose at least one event to send.")
    return chosen


def _lead_data(lead: Lead, personal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lead.id,
        "status": lead.status,
        "stage": STATUS_LABELS.get(lead.status, lead.status),
        "lost_reason": lead.lost_reason,
        "owner_id": lead.owner_id,
        "source": lead.source,
        "created_at": _iso(lead.created_at),
        "first_contacted_at": _iso(lead.first_contacted_at),
    }
    if personal and lead.erased_at is None:
        data["personal"] = {
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "condition": lead.condition_slug,
            "preferred_contact": lead.preferred_contact,
            "best_time": lead.best_time,
        }
    return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def event_body(
    event_type: str, lead: Lead | None, *, personal: bool, now: datetime, extra: Mapping
) -> str:
    """The JSON text of one event, exactly as it is signed and sent."""
    data: dict[str, Any] = dict(extra)
    if lead is not None:
        data["lead"] = _lead_data(lead, personal)
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "created_at": _iso(now),
        "data": data,
    }
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


# Built once: every inquiry asks (building a select costs more than running it).
_ACTIVE_ENDPOINTS = (
    select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
)


_ACTIVE_EVENT_LISTS = select(WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))


def wanted_events() -> set[str]:
    """The events some active endpoint wants: one cheap read before building any event."""
    event_lists = db.session.connection().execute(_ACTIVE_EVENT_LISTS).scalars()
    return {name for events in event_lists for name in event_names(events)}


def subscribed_endpoints(event_type: str) -> list[WebhookEndpoint]:
    endpoints = db.session.execute(_ACTIVE_ENDPOINTS).scalars()
    return [endpoint for endpoint in endpoints if event_type in endpoint.event_types]


def _queue(endpoint: WebhookEndpoint, event_type: str, body: str, lead_id: int | None, now):
    return outbox.queue(
        KIND,
        recipient_for(endpoint.id),
        subject=event_type,
        body=body,
        channel=CHANNEL,
        payload={"endpoint_id": endpoint.id, "event": event_type},
        lead_id=lead_id,
        now=now,
    )


def emit_lead_event(
    event_type: str, lead: Lead, *, now: datetime | None = None, **extra
) -> list[OutboxMessage]:
    """Queue ``event_type`` about ``lead`` for every active endpoint that wants it.

    Call inside the transaction that makes the change. ``extra`` may carry only
    previous_status, previous_owner_id and created.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    unknown = set(extra) - EXTRA_FIELDS
    if unknown:
        raise ValueError(f"webhook events carry ids and stages only, not {sorted(unknown)}")
    now = now or utcnow()
    messages = []
    for endpoint in subscribed_endpoints(event_type):
        body = event_body(
            event_type, lead, personal=endpoint.include_personal_data, now=now, extra=extra
        )
        messages.append(_queue(endpoint, event_type, body, lead.id, now))
    if messages:
        outbox.deliver_after_response(messages)
    return messages


def on_inquiry_recorded(
    sender: Flask,
    *,
    lead_id: int,
    created_lead: bool,
    owner_id: int | None,
    now: datetime,
    **_: Any,
) -> None:
    """Intake's receiver: a new lead is announced as ``lead.created``, and as ``lead.assigned``
    when it was written with an owner. The lead is loaded only when an endpoint wants either."""
    if not created_lead:
        return
    happened = ("lead.created", "lead.assigned") if owner_id is not None else ("lead.created",)
    wanted = wanted_events()
    events = [name for name in happened if name in wanted]
    if not events:
        return
    lead = db.session.get(Lead, lead_id)
    for name in events:
        extra = {"created": True} if name == "lead.assigned" else {}
        emit_lead_event(name, lead, now=now, **extra)


def on_status_changed(
    sender: Flask, *, lead_id: int, previous_status: str, now: datetime, **_: Any
) -> None:
    """Announce a lead's move to another stage; the lead is the sender's, already loaded."""
    lead = db.session.get(Lead, lead_id)
    emit_lead_event("lead.status_changed", lead, now=now, previous_status=previous_status)


def on_lead_assigned(
    sender: Flask,
    *,
    lead_id: int,
    previous_owner_id: int | None,
    actor_id: int | None,
    created: bool,
    now: datetime,
    **_: Any,
) -> None:
    """Announce a lead's new owner. An automatic assignment (no actor) says whether the lead
    is new; a coordinator's says whose it was."""
    lead = db.session.get(Lead, lead_id)
    extra = {"created": created} if actor_id is None else {"previous_owner_id": previous_owner_id}
    emit_lead_event("lead.assigned", lead, now=now, **extra)


def queue_test_event(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> OutboxMessage:
    """A harmless signed event an admin sends to check the receiver and its secret."""
    now = now or utcnow()
    body = event_body(TEST_EVENT, None, personal=False, now=now, extra={"endpoint_id": endpoint.id})
    message = _queue(endpoint, TEST_EVENT, body, None, now)
    outbox.deliver_after_response([message])
    return message


def send_webhook(delivery: Delivery, config: Mapping[str, Any]) -> None:
    """The outbox sender of the webhook channel: POST the body, signed now, to the endpoint.

    :raise DeliveryError: permanent when the endpoint is gone or disabled, its address is no
        longer allowed, or it answers with a redirect or a client error that retrying can't fix;
        temporary for anything else.
    """
    endpoint = db.session.get(WebhookEndpoint, delivery.payload.get("endpoint_id"))
    if endpoint is None:
        raise DeliveryError("endpoint was deleted", permanent=True)
    if not endpoint.active:
        raise DeliveryError("endpoint is switched off", permanent=True)
    url, secret = endpoint.url, endpoint.secret
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "clinic-webhooks/1",
        "X-Clinic-Event": delivery.subject,
        "X-Clinic-Delivery": str(delivery.id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, delivery.body),
    }
    status = _post(url, delivery.body.encode(), headers, config)
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status}: redirects are not followed", permanent=True)
    permanent = 400 <= status < 500 and status not in RETRYABLE_STATUSES
    raise DeliveryError(f"HTTP {status}", permanent=permanent)


def _post(url: str, body: bytes, headers: dict[str, str], config: Mapping[str, Any]) -> int:
    """POST to the host, connecting only to addresses checked just now; the response's status.

    :raise DeliveryError: REFUSED (permanent) when the address is no longer allowed, else
        COULD_NOT_CONNECT or TIMED_OUT.
    """
    allow_private = bool(config.get("WEBHOOK_ALLOW_PRIVATE"))
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS") or TIMEOUT_SECONDS)
    try:
        destination = _destination(url)
        addresses = _addresses(destination, allow_private=allow_private)
    except safe_http.HostNotFound as error:
        raise DeliveryError(COULD_NOT_CONNECT) from error
    except (WebhookError, safe_http.AddressNotAllowed) as error:
        raise DeliveryError(REFUSED, permanent=True) from error
    connection = safe_http.pinned_connection(
        destination.scheme, destination.host, destination.port, addresses, timeout=timeout
    )
    try:
        connection.request("POST", destination.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    except TimeoutError as error:
        raise DeliveryError(TIMED_OUT) from error
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(COULD_NOT_CONNECT) from error
    finally:
        connection.close()


# Registered by automation.init_app, so importing this module changes nothing.
SENDER = Sender(CHANNEL, send_webhook, lambda config: True)


def delivery_log(endpoint: WebhookEndpoint, limit: int = 50) -> list[OutboxMessage]:
    """The endpoint's latest deliveries, newest first, for the admin page."""
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == KIND,
                OutboxMessage.recipient_key == outbox.recipient_key_for(recipient_for(endpoint.id)),
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        ).scalars()
    )


def _audited_settings(endpoint: WebhookEndpoint) -> dict[str, str]:
    """What decides where lead data goes, as the audit log shows it before and after a change."""
    return {
        "url": endpoint.url,
        "events": ", ".join(endpoint.event_types),
        "personal data": "on" if endpoint.include_personal_data else "off",
    }


def save_endpoint(
    endpoint: WebhookEndpoint | None,
    *,
    name: str,
    url: CheckedURL,
    events: list[str],
    include_personal_data: bool,
    active: bool = True,
) -> WebhookEndpoint:
    """Create (endpoint None, with a fresh secret) or update an endpoint, and audit it.

    The audit entry holds the address, events and personal-data switch before and after: they
    decide where patients' data goes.

    :raise WebhookError: a missing name or no event chosen.
    """
    name = name.strip()
    if not name:
        raise WebhookError("Give the endpoint a name, e.g. the system it feeds.")
    chosen = check_events(events)
    before = {} if endpoint is None else _audited_settings(endpoint)
    if endpoint is None:
        endpoint = WebhookEndpoint(secret=new_secret())
        db.session.add(endpoint)
    endpoint.name = name[:120]
    endpoint.url = url.text
    endpoint.events = ",".join(chosen)
    endpoint.include_personal_data = include_personal_data
    endpoint.active = active
    db.session.flush()
    audit.record(
        "webhook_changed" if before else "webhook_created",
        detail=f"webhook {endpoint.id} ({endpoint.name}): "
        + audit.changes(before, _audited_settings(endpoint)),
    )
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Issue a new secret; the receiver must be given it before the next event."""
    endpoint.secret = new_secret()
    return endpoint.secret


def retry_failed_deliveries(endpoint: WebhookEndpoint, now: datetime | None = None) -> int:
    """Put the endpoint's failed deliveries back in the queue with a fresh set of attempts."""
    now = now or utcnow()
    failed = [
        message for message in delivery_log(endpoint, limit=500) if message.status == "failed"
    ]
    for message in failed:
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = now
        message.last_error = None
    return len(failed)
