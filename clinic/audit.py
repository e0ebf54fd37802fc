"""Writing the audit log. Append-only from the app: nothing here updates or deletes a row."""

from __future__ import annotations

from collections.abc import Mapping

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import AuditEntry, StaffUser


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry through the ORM."""


def _entry(
    action: str,
    lead_id: int | None,
    detail: str,
    actor: StaffUser | None,
    actor_email: str | None,
) -> AuditEntry:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    email = actor.email if actor else actor_email
    return AuditEntry(
        action=action,
        lead_id=lead_id,
        detail=detail[:1000],
        actor_id=actor.id if actor else None,
        # Lower-case, so the audit page's exact filter by person matches however it was typed.
        actor_email=email.lower() if email else None,
        ip=request.remote_addr if has_request_context() else None,
    )


def record(
    action: str,
    *,
    lead_id: int | None = None,
    detail: str = "",
    actor: StaffUser | None = None,
    actor_email: str | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction (the caller commits with its own change)."""
    entry = _entry(action, lead_id, detail, actor, actor_email)
    db.session.add(entry)
    return entry


def record_seen(action: str, *, lead_id: int | None = None, detail: str = "") -> None:
    """Record, and commit, what the signed-in person was shown once the page has read it.

    The row is written in a write transaction of its own: SQLite can't turn the page's reading
    transaction into a writing one once another request has written meanwhile ('database is
    locked'). The page's objects expire with that commit, so render before calling this.
    """
    entry = _entry(action, lead_id, detail, None, None)
    with write_transaction():
        db.session.add(entry)


def changes(before: Mapping[str, str], after: Mapping[str, str], *, longest: int = 300) -> str:
    """Settings before and after a change, for an entry's detail.

    "url: a → b; events: x (unchanged)", or just "url: b" for a setting that had no value
    before (a new item). Each value is cut to ``longest`` characters so both sides fit.
    """

    def shown(value: str) -> str:
        return value if len(value) <= longest else value[: longest - 1] + "…"

    parts = []
    for name, new in after.items():
        old = before.get(name)
        if old is None:
            parts.append(f"{name}: {shown(new)}")
        elif old == new:
            parts.append(f"{name}: {shown(new)} (unchanged)")
        else:
            parts.append(f"{name}: {shown(old)} → {shown(new)}")
    return "; ".join(parts)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_history(_mapper, _connection, entry: AuditEntry) -> None:
    """An audit log that the app can edit proves nothing: refuse before the SQL is sent."""
    raise AuditLogIsAppendOnly(f"audit entry {entry.id} can't be changed or deleted")
