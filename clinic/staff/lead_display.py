"""Small helpers the lead pages share: who is on staff, what time it is for the clinic, and how
long ago something happened, in words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlencode

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import select

from clinic import clock
from clinic.extensions import db
from clinic.leads import inbox, stale
from clinic.leads.inbox import InboxContext
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.logging_setup import redact
from clinic.models import Lead, StaffUser
from clinic.models.base import ID_MAX
from clinic.staff import bp
from clinic.templating import ago, span, waiting_for


def inbox_context(now: datetime | None = None) -> InboxContext:
    config = current_app.config
    return InboxContext(
        user_id=current_user.id,
        now=now or clock.now(),
        stale_days=config["CLINIC_STALE_DAYS"],
        region=config["CLINIC_PHONE_REGION"],
    )


def staff_members() -> list[StaffUser]:
    """Every account, active or not: old leads and timelines still name former colleagues."""
    return list(db.session.execute(select(StaffUser).order_by(StaffUser.name)).scalars())


def owner_choices(staff: list[StaffUser]) -> list[tuple[str, str]]:
    """Who a lead can be given to: unassigned, or an active account."""
    return [("", "Unassigned")] + [(str(user.id), user.name) for user in staff if user.active]


def lead_path_builder() -> Callable[[int], str]:
    """``url_for("staff.lead", lead_id=...)`` for a page of leads at the cost of one call:
    the route is built once with a placeholder id and the real ids are written into it."""
    # Kept: a url_for per row is a real share of the home page, which links every lead due.
    # The largest id the route accepts stands in for the real one: only where it lands matters.
    template = url_for("staff.lead", lead_id=ID_MAX)
    before, after = template.split(str(ID_MAX))
    return lambda lead_id: f"{before}{lead_id}{after}"


def source_paths(leads: Iterable[Lead]) -> dict[str, str]:
    """The inbox link of every source among ``leads``, built once per source (a page of fifty
    leads has a handful)."""
    sources = {lead.source for lead in leads}
    return {source: url_for("staff.leads", source=source, status="all") for source in sources}


@bp.app_template_filter("duration")
def duration(minutes: float | None) -> str:
    """A median or average shown to staff: '35 min', '6 h 51 min', '3 days'."""
    if minutes is None:
        return ""
    whole = max(int(round(minutes)), 0)
    if 60 <= whole < 48 * 60:
        hours, rest = divmod(whole, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return span(whole)


@bp.app_template_filter("age")
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """'12 min ago' for a stored UTC time."""
    return ago(moment, now)


@bp.app_template_global()
def waiting(lead: Lead, now: datetime | None = None) -> dict | None:
    """For an open lead nobody has contacted yet: how long it has waited, and whether that is
    past the clinic's speed-to-lead target (CLINIC_SPEED_TARGET_MINUTES)."""
    if lead.first_contacted_at is not None or lead.status not in OPEN_STATUSES:
        return None
    now = now or clock.now()
    minutes = (now - lead.first_inquiry_at).total_seconds() / 60
    target = current_app.config["CLINIC_SPEED_TARGET_MINUTES"]
    return {"text": waiting_for(lead.first_inquiry_at, now), "late": minutes > target}


@bp.app_template_global()
def gone_quiet(lead: Lead, now: datetime | None = None) -> bool:
    """An open lead with no activity for CLINIC_STALE_DAYS days: someone should pick it up."""
    return stale.is_stale(lead, now or clock.now(), current_app.config["CLINIC_STALE_DAYS"])


@bp.app_template_global()
def took(start: datetime | None, end: datetime | None) -> str:
    """How long passed between two stored times: '12 min', '3 h'."""
    if start is None or end is None:
        return ""
    return span((end - start).total_seconds() / 60)


def audited_filters(params: inbox.InboxParams) -> str:
    """The filters as the audit log keeps them (erasure doesn't rewrite it): that a search was
    used, never what was typed, which may be a patient's name or phone number, and any other
    value with contact details blanked as the logs blank them."""
    args = params.filters_only().query_args()
    kept = {name: "(search)" if name == "q" else redact(value) for name, value in args.items()}
    return urlencode(kept, safe="()[]") or "none"
