"""Admins see notifications that gave up, and can queue them again once the mail works."""

from __future__ import annotations

from flask import flash, redirect, url_for

from clinic.models import OutboxMessage
from clinic.notify import outbox
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.forms import EmptyForm

KIND_LABELS = {
    "staff_new_inquiry": "New-inquiry alert to staff",
    "acknowledgement": "Acknowledgement to a patient",
    "digest": "Daily follow-up digest",
    "webhook": "Webhook",
}


@bp.app_template_global("failed_outbox_messages")
def failed_outbox_messages() -> list[OutboxMessage]:
    """For the admin panel on the Today page (templates/staff/_outbox_failures.html)."""
    return outbox.failed_messages()


@bp.app_template_filter("outbox_kind")
def outbox_kind(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@bp.post("/outbox/retry")
@admin_required
def outbox_retry():
    if EmptyForm().validate_on_submit():
        count = outbox.retry_failed()
        flash(f"{count} notification(s) queued again; they go out with the next send.", "success")
    return redirect(url_for("staff.home"))
