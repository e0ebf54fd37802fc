"""The inbox's bulk changes: assign the ticked leads to someone, or move them to another stage."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import actions, inbox
from clinic.leads.pipeline import STATUS_LABELS
from clinic.models import StaffUser
from clinic.staff import bp
from clinic.staff.bulk_forms import BulkForm
from clinic.staff.lead_display import owner_choices, staff_members


def bulk_form(staff, params: inbox.InboxParams | None = None) -> BulkForm:
    form = BulkForm(prefix="bulk")
    form.owner.choices = owner_choices(staff)
    if params is not None:
        form.back.data = urlencode(params.query_args())
    return form


def _inbox_url(query_string: str | None) -> str:
    """Back to the inbox with the filters the coordinator had, rebuilt from known parameters
    only, so the hidden field can't send anyone elsewhere."""
    params = inbox.parse_params(MultiDict(parse_qsl(query_string or "")))
    return url_for("staff.leads", **params.query_args())


@bp.post("/leads/bulk")
@login_required
def bulk():
    staff = staff_members()
    form = bulk_form(staff)
    back = _inbox_url(form.back.data)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            selected = actions.leads_for_update(form.lead_ids.data)
            if form.assign.data:
                owner = db.session.get(StaffUser, int(form.owner.data)) if form.owner.data else None
                result = actions.bulk_assign(selected, owner, actor)
                done = f"Assigned to {owner.name}" if owner else "Unassigned"
            else:
                result = actions.bulk_change_status(
                    selected, form.status.data, actor, lost_reason=form.lost_reason.data or None
                )
                done = f"Moved to {STATUS_LABELS[form.status.data]}"
    except actions.LeadActionError as error:
        flash(str(error), "error")
        return redirect(back)
    message = f"{done}: {result.changed} lead{'s' if result.changed != 1 else ''}."
    if result.unchanged:
        message += f" {result.unchanged} already were."
    if result.refused:
        message += f" {result.refused} erased or merged lead(s) left unchanged."
    flash(message, "success")
    return redirect(back)
