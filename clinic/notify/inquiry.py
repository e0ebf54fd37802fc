"""What a new inquiry queues: an alert for the coordinators and a thank-you to the patient.

Neither message carries health details. The staff alert holds only a link to the dashboard
(email is not a safe channel for a name, a condition or a message); the acknowledgement says
what happens next, how to reach the clinic and the inquiry's reference to quote when calling,
and never repeats what the patient wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, render_template
from sqlalchemy import bindparam, select

from clinic.extensions import db
from clinic.models import OutboxMessage, utcnow
from clinic.notify import booking_mail, outbox
from clinic.profile import current_profile

STAFF_ALERT = "staff_new_inquiry"
ACKNOWLEDGEMENT = "acknowledgement"
ACKNOWLEDGEMENT_WINDOW = timedelta(hours=24)
# Put where the reference goes in the rendered acknowledgement: plain ASCII that no clinic
# detail contains.
REFERENCE_PLACEHOLDER = "clinic-reference-placeholder"
# And where the patient's personal booking link goes (clinic.notify.booking_mail).
BOOKING_LINK_PLACEHOLDER = "clinic-booking-link-placeholder"


def lead_link(lead_id: int) -> str:
    """Always from CLINIC_PUBLIC_URL: a request's Host header must never shape an email link."""
    return f"{current_app.config['CLINIC_PUBLIC_URL']}/staff/leads/{lead_id}"


_RECENT_ACKNOWLEDGEMENT = (
    select(OutboxMessage.id)
    .where(
        OutboxMessage.kind == ACKNOWLEDGEMENT,
        OutboxMessage.recipient_key == bindparam("recipient_key"),
        OutboxMessage.created_at > bindparam("since"),
    )
    .limit(1)
)  # built once: intake asks on every inquiry


def acknowledged_recently(address: str, now: datetime) -> bool:
    """Whether this address got (or is about to get) an acknowledgement in the last 24 hours."""
    parameters = {
        "recipient_key": outbox.recipient_key_for(address),
        "since": now - ACKNOWLEDGEMENT_WINDOW,
    }
    return db.session.connection().execute(_RECENT_ACKNOWLEDGEMENT, parameters).first() is not None


def acknowledgement_body(reference: str | None = None, booking_link: str | None = None) -> str:
    """The thank-you text. It holds only the clinic's own details and the inquiry's reference,
    so each worker renders it once per set of those details, with a placeholder where each
    inquiry's reference is filled in."""
    details = (current_profile(), reference is not None, booking_link is not None)
    rendered = current_app.extensions.setdefault("clinic.acknowledgement_body", {})
    if details not in rendered:
        rendered[details] = render_template(
            "email/acknowledgement.txt",
            reference=REFERENCE_PLACEHOLDER if reference else None,
            booking_link=BOOKING_LINK_PLACEHOLDER if booking_link else None,
        )
    body: str = rendered[details]
    if booking_link:
        body = body.replace(BOOKING_LINK_PLACEHOLDER, booking_link)
    return body.replace(REFERENCE_PLACEHOLDER, reference) if reference else body


def on_inquiry_recorded(
    sender: Flask,
    *,
    lead_id: int,
    email: str | None,
    created_lead: bool,
    now: datetime,
    reference: str | None = None,
    inquiry_id: int | None = None,
    **_: Any,
) -> None:
    """Intake's receiver: every stored inquiry queues its alert and acknowledgement."""
    queue_inquiry_notifications(
        lead_id, email, created_lead, now=now, reference=reference, inquiry_id=inquiry_id
    )


def queue_inquiry_notifications(
    lead_id: int,
    email: str | None,
    created_lead: bool,
    now: datetime | None = None,
    reference: str | None = None,
    inquiry_id: int | None = None,
) -> list[outbox.QueuedMessage]:
    """Queue the messages for one stored inquiry, in the caller's (the inquiry's) transaction.

    The acknowledgement offers the patient's personal link to choose a consultation time
    (``inquiry_id`` given and a time free to book).

    At most one acknowledgement per address per 24 hours, so the form cannot be used to flood
    someone's mailbox. Delivery is attempted after the response, never before it.
    """
    now = now or utcnow()
    config = current_app.config
    rows = []
    if config["CLINIC_NOTIFY_EMAILS"]:
        staff_body = render_template(
            "email/staff_new_inquiry.txt", link=lead_link(lead_id), returning=not created_lead
        )
        rows += [
            outbox.message_values(
                STAFF_ALERT,
                address,
                subject="New inquiry — open it in the dashboard",
                body=staff_body,
                lead_id=lead_id,
                now=now,
            )
            for address in config["CLINIC_NOTIFY_EMAILS"]
        ]
    if config["CLINIC_SEND_ACKNOWLEDGEMENT"] and email and not acknowledged_recently(email, now):
        rows.append(
            outbox.message_values(
                ACKNOWLEDGEMENT,
                email,
                subject=f"We received your message — {current_profile().name}",
                body=acknowledgement_body(reference, _booking_link(lead_id, inquiry_id)),
                lead_id=lead_id,
                now=now,
            )
        )
    messages = outbox.insert_messages(rows)
    outbox.deliver_after_response(messages)
    return messages


def _booking_link(lead_id: int, inquiry_id: int | None) -> str | None:
    if inquiry_id is None or not booking_mail.booking_is_open():
        return None
    return booking_mail.booking_link_for(lead_id, inquiry_id)
