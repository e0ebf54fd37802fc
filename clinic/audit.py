"""Writing the audit log. Append-only from the app: nothing here updates or deletes a row."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event

from clinic.extensions import db
from clinic.models import AuditEntry, StaffUser


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry through the ORM."""


def record(
    action: str,
    *,
    lead_id: int | None = None,
    detail: str = "",
    actor: StaffUser | None = None,
    actor_email: str | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction (the caller commits with its own change)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    email = actor.email if actor else actor_email
    entry = AuditEntry(
        action=action,
        lead_id=lead_id,
        detail=detail[:1000],
        actor_id=actor.id if actor else None,
        # Lower-case, so the audit page's exact filter by person matches however it was typed.
        actor_email=email.lower() if email else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_history(_mapper, _connection, entry: AuditEntry) -> None:
    """An audit log that the app can edit proves nothing: refuse before the SQL is sent."""
    raise AuditLogIsAppendOnly(f"audit entry {entry.id} can't be changed or deleted")
