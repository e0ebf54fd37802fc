"""Automation that keeps every lead moving: assignment, stale leads, webhooks, saved replies."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook channel and connect assignment and webhooks to the domain's signals."""
    from clinic.automation import intake, webhooks
    from clinic.leads import signals
    from clinic.notify.senders import register_sender

    register_sender(webhooks.SENDER)
    signals.inquiry_recorded.connect(webhooks.on_inquiry_recorded)
    signals.inquiry_recorded.connect(intake.on_inquiry_recorded)
    signals.lead_status_changed.connect(webhooks.on_status_changed)
    signals.lead_assigned.connect(webhooks.on_lead_assigned)
