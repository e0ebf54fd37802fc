"""Reading the audit log: filters and keyset pagination over a table that only ever grows.

Pages are cut by entry id (newest first) rather than by offset, so the hundredth page costs the
same as the first however many rows the log holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select

from clinic import clock
from clinic.extensions import db
from clinic.models import AuditEntry
from clinic.staff import bp

PAGE_SIZE = 50

# What each recorded action means, as the audit page shows it. The codes stay in the log (and
# in the action filter, which matches them exactly); a code missing here shows as itself.
ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in refused",
    "sign_out": "Signed out",
    "account_locked": "Sign-in locked for one address",
    "sign_in_unlocked": "Sign-in unlocked by an admin",
    "password_set": "Password set",
    "password_changed": "Password changed",
    "password_reset_sent": "Password-reset link sent",
    "password_reset_refused": "Password-reset link not sent",
    "password_reset": "Password reset with a link",
    "user_created": "Account created",
    "user_deactivated": "Account deactivated",
    "user_reactivated": "Account reactivated",
    "role_changed": "Role changed",
    "export_granted": "Export permission granted",
    "export_revoked": "Export permission withdrawn",
    "two_factor_enabled": "Two-step sign-in switched on",
    "two_factor_disabled": "Two-step sign-in switched off",
    "two_factor_reset": "Two-step sign-in reset by an admin",
    "two_factor_passed": "Sign-in code accepted",
    "two_factor_failed": "Sign-in code refused",
    "two_factor_locked": "Sign-in codes locked (too many wrong)",
    "recovery_code_used": "Signed in with a recovery code",
    "recovery_codes_replaced": "New recovery codes made",
    "leads_listed": "Lead list viewed",
    "lead_viewed": "Lead record viewed",
    "lead_changed": "Lead changed",
    "bulk_changed": "Bulk change made (leads counted)",
    "bulk_undone": "Bulk change undone (leads counted)",
    "lead_merged": "Leads merged",
    "possible_duplicate_dismissed": "Marked not the same person",
    "lead_erased": "Lead erased",
    "leads_exported": "Leads exported",
    "import_uploaded": "Import file uploaded",
    "import_checked": "Import dry run",
    "import_started": "Import started",
    "import_finished": "Import finished (rows counted)",
    "import_undone": "Import undone",
    "import_discarded": "Import file discarded",
    "import_mapping_saved": "Import mapping saved",
    "import_refused_downloaded": "Import's refused rows downloaded",
    "report_downloaded": "Report downloaded (CSV)",
    "outbox_retried": "Failed notifications queued again",
    "retention_purge": "Old leads erased (retention)",
    "automation_changed": "Automation changed",
    "webhook_created": "Webhook added",
    "webhook_changed": "Webhook changed",
    "api_key_created": "API key made",
    "api_key_revoked": "API key revoked",
    "api_key_used": "API key used (inquiry or refusal)",
    "api_key_refused": "Revoked API key refused",
    "clinic_profile_changed": "Clinic profile changed",
    "reviewer_changed": "Clinical reviewer set or removed",
    "page_saved": "Page draft saved",
    "page_restored": "Page revision restored",
    "page_approved": "Page approved and published",
    "page_changes_requested": "Page changes requested",
    "service_created": "Service added",
    "clinician_created": "Clinician added",
}


@bp.app_template_filter("audit_action")
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditFilters:
    """What an admin is looking for; dates are calendar days in the clinic's time zone."""

    action: str | None = None
    actor_email: str | None = None
    lead_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page, newest first, with the cursors for the neighbouring pages (None at the ends)."""

    entries: list[AuditEntry]
    newer_than: int | None
    older_than: int | None


def _filtered(query: Select, filters: AuditFilters) -> Select:
    if filters.action:
        query = query.where(AuditEntry.action == filters.action.strip().lower())
    if filters.actor_email:  # stored lower-case (see audit.record), so the index can serve it
        query = query.where(AuditEntry.actor_email == filters.actor_email.strip().lower())
    if filters.lead_id is not None:
        query = query.where(AuditEntry.lead_id == filters.lead_id)
    if filters.date_from:
        query = query.where(AuditEntry.created_at >= clock.local_midnight(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        query = query.where(AuditEntry.created_at < clock.local_midnight(next_day))
    return query


def _any(filters: AuditFilters, condition) -> bool:
    query = _filtered(select(AuditEntry.id), filters).where(condition).limit(1)
    return db.session.execute(query).first() is not None


def find_entries(
    filters: AuditFilters,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """Entries matching `filters`, newest first: the newest page, or the page just past a cursor."""
    query = _filtered(select(AuditEntry), filters)
    if newer_than is not None:
        query = query.where(AuditEntry.id > newer_than).order_by(AuditEntry.id.asc())
    else:
        if older_than is not None:
            query = query.where(AuditEntry.id < older_than)
        query = query.order_by(AuditEntry.id.desc())
    rows = list(db.session.execute(query.limit(page_size + 1)).scalars())
    more = len(rows) > page_size
    rows = rows[:page_size]
    if newer_than is not None:
        rows.reverse()
    if not rows:
        return AuditPage([], None, None)
    newest, oldest = rows[0].id, rows[-1].id
    if newer_than is not None:
        has_newer = more
        has_older = _any(filters, AuditEntry.id < oldest)
    else:
        has_older = more
        has_newer = older_than is not None and _any(filters, AuditEntry.id > newest)
    return AuditPage(
        rows, newer_than=newest if has_newer else None, older_than=oldest if has_older else None
    )


def known_actions() -> list[str]:
    """The distinct actions in the log, found by hopping along the action index (a loose index
    scan), so the cost follows the number of actions, not the number of rows."""
    actions = select(func.min(AuditEntry.action).label("action")).cte("actions", recursive=True)
    following = (
        select(AuditEntry.action)
        .where(AuditEntry.action > actions.c.action)
        .order_by(AuditEntry.action)
        .limit(1)
        .scalar_subquery()
    )
    actions = actions.union_all(select(following).where(actions.c.action.is_not(None)))
    query = select(actions.c.action).where(actions.c.action.is_not(None))
    return list(db.session.execute(query).scalars())
