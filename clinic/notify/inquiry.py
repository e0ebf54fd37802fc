"""What a new inquiry queues: an alert for the coordinators and a thank-you to the patient.

Neither message carries health details. The staff alert holds only a link to the dashboard
(email is not a safe channel for a name, a condition or a message); the acknowledgement says
what happens next and how to reach the clinic, and never repeats what the patient wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Inquiry, Lead, OutboxMessage, utcnow
from clinic.notify import outbox

STAFF_ALERT = "staff_new_inquiry"
ACKNOWLEDGEMENT = "acknowledgement"
ACKNOWLEDGEMENT_WINDOW = timedelta(hours=24)


def lead_link(lead_id: int) -> str:
    """Always from CLINIC_PUBLIC_URL: a request's Host header must never shape an email link."""
    return f"{current_app.config['CLINIC_PUBLIC_URL']}/staff/leads/{lead_id}"


def acknowledged_recently(address: str, now: datetime) -> bool:
    """Whether this address got (or is about to get) an acknowledgement in the last 24 hours."""
    found = db.session.execute(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == ACKNOWLEDGEMENT,
            OutboxMessage.recipient_key == outbox.recipient_key_for(address),
            OutboxMessage.created_at > now - ACKNOWLEDGEMENT_WINDOW,
        )
        .limit(1)
    ).first()
    return found is not None


def queue_inquiry_notifications(
    lead: Lead, inquiry: Inquiry, created_lead: bool, now: datetime | None = None
) -> list[OutboxMessage]:
    """Queue the messages for one stored inquiry, in the caller's (the inquiry's) transaction.

    At most one acknowledgement per address per 24 hours, so the form cannot be used to flood
    someone's mailbox. Delivery is attempted after the response, never before it.
    """
    now = now or utcnow()
    config = current_app.config
    messages = []
    link = lead_link(lead.id)
    staff_body = render_template(
        "email/staff_new_inquiry.txt", link=link, returning=not created_lead
    )
    for address in config["CLINIC_NOTIFY_EMAILS"]:
        messages.append(
            outbox.queue(
                STAFF_ALERT,
                address,
                subject="New inquiry — open it in the dashboard",
                body=staff_body,
                lead_id=lead.id,
                now=now,
            )
        )
    address = inquiry.email
    if (
        config["CLINIC_SEND_ACKNOWLEDGEMENT"]
        and address
        and not acknowledged_recently(address, now)
    ):
        messages.append(
            outbox.queue(
                ACKNOWLEDGEMENT,
                address,
                subject=f"We received your message — {config['CLINIC_NAME']}",
                body=render_template("email/acknowledgement.txt"),
                lead_id=lead.id,
                now=now,
            )
        )
    db.session.flush()
    outbox.deliver_after_response(messages)
    return messages
