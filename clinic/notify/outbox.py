"""The transactional outbox: messages are stored with what caused them and delivered afterwards.

Queuing only adds a row to the caller's transaction, so an inquiry and its emails are saved
together or not at all, and nobody waits on a mail server. Delivery claims due rows first (row
locks with SKIP LOCKED on PostgreSQL; the database write lock on SQLite), commits the claim, then
sends outside any transaction, so two senders on two servers never send the same message.
Failures back off (1, 2, 4 … minutes, capped) and a message that keeps failing is marked failed
for an admin to see. A sender that dies mid-send leaves a claim whose lease runs out: the message
is then claimed again (at-least-once; never lost).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import Flask, after_this_request, current_app, has_request_context
from sqlalchemy import and_, delete, func, insert, or_, select, update

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import OutboxMessage, utcnow
from clinic.notify.senders import SENDERS, Delivery, DeliveryError, ready_channels

ERROR_MAX = 500


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting_unconfigured: int = 0
    errors: list[str] = field(default_factory=list)


def recipient_key_for(recipient: str) -> str:
    """A stable key for an address, used to cap messages per recipient without searching text."""
    return hashlib.sha256(recipient.strip().lower().encode()).hexdigest()


def message_values(
    kind: str,
    recipient: str,
    *,
    subject: str = "",
    body: str = "",
    channel: str = "email",
    payload: Any = None,
    lead_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The row of one message waiting for its first attempt."""
    now = now or utcnow()
    return {
        "kind": kind,
        "channel": channel,
        "recipient": recipient.strip(),
        "recipient_key": recipient_key_for(recipient),
        "subject": subject,
        "body": body,
        "payload": json.dumps(payload if payload is not None else {}, sort_keys=True),
        "lead_id": lead_id,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def queue(kind: str, recipient: str, **values: Any) -> OutboxMessage:
    """Add a message to the current transaction; it leaves only if the transaction commits.

    ``values`` are :func:`message_values`' keywords.
    """
    message = OutboxMessage(**message_values(kind, recipient, **values))
    db.session.add(message)
    return message


class QueuedMessage(NamedTuple):
    """A message inserted without an ORM object: what delivery after the response needs."""

    id: int
    channel: str


_INSERT_MESSAGE = insert(OutboxMessage).returning(OutboxMessage.id)


def insert_messages(rows: list[dict[str, Any]]) -> list[QueuedMessage]:
    """Insert :func:`message_values` rows now, on the current transaction's connection.

    Same guarantee as :func:`queue` (they leave only if the transaction commits) without the
    ORM's bookkeeping, for intake, which queues on every inquiry.
    """
    connection = db.session.connection()
    return [
        QueuedMessage(connection.execute(_INSERT_MESSAGE, row).scalar_one(), row["channel"])
        for row in rows
    ]


def backoff(attempts: int, max_minutes: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 1, 2, 4 … minutes, capped."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), max_minutes))


def _due_condition(now: datetime, force: bool):
    pending = OutboxMessage.status == "pending"
    if not force:
        pending = and_(pending, OutboxMessage.next_attempt_at <= now)
    abandoned = and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
    return or_(pending, abandoned)


def claim(
    limit: int,
    *,
    channels: list[str],
    force: bool = False,
    ids: list[int] | None = None,
    exclude: set[int] | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Mark up to `limit` due messages as ours for one lease and return what to send.

    The select and the update run in one write transaction: on PostgreSQL the rows are locked
    with SKIP LOCKED (a concurrent sender takes the next ones), on SQLite the transaction holds
    the database write lock. Each claimed message counts one attempt.
    """
    if not channels or limit <= 0:
        return []
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    query = (
        select(OutboxMessage)
        .where(_due_condition(now, force), OutboxMessage.channel.in_(channels))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if exclude:
        query = query.where(OutboxMessage.id.not_in(exclude))
    token = secrets.token_hex(16)
    with write_transaction():
        rows = db.session.execute(query).scalars().all()
        for row in rows:
            row.status = "sending"
            row.claim_token = token
            row.claimed_until = now + lease
            row.attempts = (row.attempts or 0) + 1
        db.session.flush()
        return [
            Delivery(
                id=row.id,
                claim_token=token,
                channel=row.channel,
                kind=row.kind,
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
                payload_json=row.payload,
                attempts=row.attempts,
            )
            for row in rows
        ]


def record_result(
    delivery: Delivery, error: DeliveryError | None, now: datetime | None = None
) -> str:
    """Store how a claimed delivery went; returns the message's new status.

    Only the holder of the claim may settle it: if the lease ran out and another sender took
    the message, this result is dropped ("superseded").
    """
    now = now or utcnow()
    config = current_app.config
    if error is None:
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
    elif error.permanent or delivery.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        values = {"status": "failed", "last_error": str(error)[:ERROR_MAX]}
    else:
        wait = backoff(delivery.attempts, config["OUTBOX_MAX_BACKOFF_MINUTES"])
        values = {
            "status": "pending",
            "next_attempt_at": now + wait,
            "last_error": str(error)[:ERROR_MAX],
        }
    values.update(claim_token=None, claimed_until=None)
    with write_transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == delivery.id,
                OutboxMessage.claim_token == delivery.claim_token,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return values["status"] if result.rowcount else "superseded"


def deliver(delivery: Delivery) -> str:
    """Send one claimed message through its channel's sender and record the outcome."""
    sender = SENDERS[delivery.channel]
    try:
        sender.send(delivery, current_app.config)
    except DeliveryError as error:
        return record_result(delivery, error)
    except Exception as error:  # a sender's own bug must not leave the claim hanging
        current_app.logger.exception("outbox sender %s crashed", delivery.channel)
        return record_result(delivery, DeliveryError(f"sender error: {type(error).__name__}"))
    return record_result(delivery, None)


def send_due(
    *, force: bool = False, ids: list[int] | None = None, limit: int | None = None
) -> SendReport:
    """Deliver every due message (with `force`, also those waiting for a retry), batch by batch.

    Each message is tried at most once per call, so a mail server that is down ends the run
    instead of spinning on it.
    """
    config = current_app.config
    report = SendReport()
    channels = ready_channels(config)
    report.waiting_unconfigured = _count_waiting(exclude_channels=channels)
    batch_size = config["OUTBOX_BATCH_SIZE"]
    tried: set[int] = set()
    while limit is None or len(tried) < limit:
        size = batch_size if limit is None else min(batch_size, limit - len(tried))
        batch = claim(size, channels=channels, force=force, ids=ids, exclude=tried)
        if not batch:
            break
        for delivery in batch:
            tried.add(delivery.id)
            status = deliver(delivery)
            if status == "sent":
                report.sent += 1
            elif status == "failed":
                report.failed += 1
            elif status == "pending":
                report.retrying += 1
    return report


def _count_waiting(exclude_channels: list[str]) -> int:
    query = select(func.count()).where(OutboxMessage.status == "pending")
    if exclude_channels:
        query = query.where(OutboxMessage.channel.not_in(exclude_channels))
    count = db.session.execute(query).scalar_one()
    db.session.commit()
    return count


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: count for status, count in rows}


def failed_messages(limit: int = 20) -> list[OutboxMessage]:
    """Messages that gave up, newest first: shown to admins so someone follows up by hand."""
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        ).scalars()
    )


def retry_failed(now: datetime | None = None, *, by: str | None = None) -> int:
    """Put every failed message back in the queue with a fresh set of attempts, and say so in
    the audit log: by the signed-in admin, or by ``by`` (such as "command line")."""
    now = now or utcnow()
    with write_transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            "outbox_retried", detail=f"{result.rowcount} message(s) queued again", actor_email=by
        )
    return result.rowcount


def forget_lead(lead_id: int) -> int:
    """Delete the messages about a lead that hold its address (call inside an erasure)."""
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.lead_id == lead_id, OutboxMessage.status != "sending")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def on_lead_erased(sender: Flask, *, lead_ids: list[int], **_: Any) -> None:
    """Erasure's receiver: the unsent messages about the erased leads hold their addresses."""
    for lead_id in lead_ids:
        forget_lead(lead_id)


def prune_sent(older_than_days: int, now: datetime | None = None) -> int:
    """Drop delivered messages after a while: they hold addresses the clinic no longer needs."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    with write_transaction():
        result = db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount


def deliver_after_response(messages: Sequence[OutboxMessage | QueuedMessage]) -> None:
    """Try these messages once the response has gone out, in a short-lived background thread.

    Nothing happens outside a request, when OUTBOX_SEND_AFTER_RESPONSE is off, or when the
    channel has no settings; `outbox send` delivers whatever this misses.
    """
    config = current_app.config
    if not messages or not has_request_context() or not config["OUTBOX_SEND_AFTER_RESPONSE"]:
        return
    channels = set(ready_channels(config))
    ids = [message.id for message in messages if message.channel in channels]
    if not ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _schedule(response):
        response.call_on_close(lambda: _start_background_delivery(app, ids))
        return response


def _start_background_delivery(app: Flask, ids: list[int]) -> None:
    thread = threading.Thread(
        target=_background_delivery, args=(app, ids), name="outbox-after-response", daemon=True
    )
    thread.start()


def _background_delivery(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            send_due(ids=ids)
        except Exception:
            app.logger.exception("outbox: delivery after response failed; cron will retry")
        finally:
            db.session.remove()
