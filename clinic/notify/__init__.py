"""Notifications: what the clinic sends (inquiry alerts, acknowledgements, digests) and the
outbox that carries them, so a message is stored with its cause and delivered later."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the email channel and queue the messages the domain's signals call for."""
    from clinic.leads import signals
    from clinic.notify import inquiry, mail, outbox, senders

    senders.register_sender(mail.EMAIL_SENDER)
    signals.inquiry_recorded.connect(inquiry.on_inquiry_recorded)
    signals.lead_erased.connect(outbox.on_lead_erased)
