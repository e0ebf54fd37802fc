"""Outgoing webhooks: signed JSON events about leads, delivered through the outbox.

An event is queued in the same transaction as the change it describes, one outbox message per
endpoint, so it is sent only if the change is saved and is retried with back-off while the
receiver is down. The body is signed when it is sent:

    X-Clinic-Timestamp: <unix seconds>
    X-Clinic-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

Events carry ids and stages only. Name, contact details and condition are added only for an
endpoint whose admin ticked "include personal data" — they are health information.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import ssl
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.pipeline import STATUS_LABELS
from clinic.models import Lead, OutboxMessage, WebhookEndpoint, utcnow
from clinic.models.automation import event_names
from clinic.notify import outbox
from clinic.notify.senders import Delivery, DeliveryError, Sender, register_sender

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
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
RETRYABLE_STATUSES = {408, 425, 429}


class WebhookError(ValueError):
    """An endpoint can't be saved as given; the message says what to fix."""


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


def check_url(url: str) -> str:
    """:raise WebhookError: unless https (or http to this machine, for local receivers)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookError("Enter the full address, starting with https://.")
    if parts.username or parts.password:
        raise WebhookError("Leave the user name and password out of the address.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise WebhookError("Use https:// so lead events are encrypted on their way.")
    return url


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


def queue_test_event(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> OutboxMessage:
    """A harmless signed event an admin sends to check the receiver and its secret."""
    now = now or utcnow()
    body = event_body(TEST_EVENT, None, personal=False, now=now, extra={"endpoint_id": endpoint.id})
    message = _queue(endpoint, TEST_EVENT, body, None, now)
    outbox.deliver_after_response([message])
    return message


def send_webhook(delivery: Delivery, config: Mapping[str, Any]) -> None:
    """The outbox sender of the webhook channel: POST the body, signed now, to the endpoint.

    :raise DeliveryError: permanent when the endpoint is gone or disabled, or it answers with a
        redirect or a client error that retrying can't fix; temporary for anything else.
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
    parts = urlsplit(url)
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS") or TIMEOUT_SECONDS)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"could not reach the endpoint ({type(error).__name__})") from error
    finally:
        connection.close()


register_sender(Sender(CHANNEL, send_webhook, lambda config: True))


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


def save_endpoint(
    endpoint: WebhookEndpoint | None,
    *,
    name: str,
    url: str,
    events: list[str],
    include_personal_data: bool,
    active: bool = True,
) -> WebhookEndpoint:
    """Create (endpoint None, with a fresh secret) or update an endpoint.

    :raise WebhookError: a missing name, an unsafe address or no event chosen.
    """
    name = name.strip()
    if not name:
        raise WebhookError("Give the endpoint a name, e.g. the system it feeds.")
    checked_url = check_url(url)
    chosen = check_events(events)
    if endpoint is None:
        endpoint = WebhookEndpoint(secret=new_secret())
        db.session.add(endpoint)
    endpoint.name = name[:120]
    endpoint.url = checked_url[:500]
    endpoint.events = ",".join(chosen)
    endpoint.include_personal_data = include_personal_data
    endpoint.active = active
    db.session.flush()
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
