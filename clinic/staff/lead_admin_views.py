"""The admin's actions on a lead record: merging another lead into it, and erasing the person's
details. Each asks for confirmation on a page of its own before it changes anything."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import audit
from clinic.database import truncate_sqlite_log, write_transaction
from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.erasure import erase_lead
from clinic.leads.merge import merge_leads
from clinic.models import Lead
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.forms import EmptyForm
from clinic.staff.lead_forms import MergeForm, MergeLookupForm


@bp.get("/leads/<id:lead_id>/merge")
@admin_required
def merge_confirm(lead_id: int):
    keep = db.get_or_404(Lead, lead_id)
    lookup = MergeLookupForm(request.args)
    if not lookup.validate():
        flash(" ".join(lookup.other.errors) or "Enter the other lead's number.", "error")
        return redirect(url_for("staff.lead", lead_id=lead_id))
    other = db.session.get(Lead, lookup.other.data)
    problem = _merge_problem(keep, other, lookup.other.data)
    if problem:
        flash(problem, "error")
        return redirect(url_for("staff.lead", lead_id=lead_id))
    form = MergeForm(formdata=None, data={"other": str(other.id)})
    audit.record("lead_viewed", lead_id=other.id, detail="merge confirmation")
    html = render_template("staff/lead_merge.html", keep=keep, other=other, form=form)
    db.session.commit()
    return html


def _merge_problem(keep: Lead, other: Lead | None, other_id: int) -> str | None:
    if other is None:
        return f"There is no lead #{other_id}."
    if other.id == keep.id:
        return "A lead can't be merged into itself; enter the other lead's number."
    for candidate in (keep, other):
        try:
            actions.check_workable(candidate)
        except actions.LeadActionError as error:
            return f"Lead #{candidate.id}: {error}"
    return None


@bp.post("/leads/<id:lead_id>/merge")
@admin_required
def merge(lead_id: int):
    form = MergeForm()
    if not form.validate_on_submit() or not str(form.other.data).isdigit():
        flash("Enter the other lead's number.", "error")
        return redirect(url_for("staff.lead", lead_id=lead_id))
    other_id = int(form.other.data)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            locked = {lead.id: lead for lead in actions.leads_for_update([lead_id, other_id])}
            if lead_id not in locked:
                abort(404)
            problem = _merge_problem(locked[lead_id], locked.get(other_id), other_id)
            if problem:
                raise actions.LeadActionError(problem)
            merge_leads(locked[lead_id], locked[other_id], actor)
    except actions.LeadActionError as error:
        flash(str(error), "error")
    else:
        flash(f"Lead #{other_id} was merged into this one.", "success")
    return redirect(url_for("staff.lead", lead_id=lead_id))


@bp.get("/leads/<id:lead_id>/erase")
@admin_required
def erase_confirm(lead_id: int):
    lead = db.get_or_404(Lead, lead_id)
    if lead.erased_at is not None:
        flash("This lead's personal details were already erased.", "error")
        return redirect(url_for("staff.lead", lead_id=lead_id))
    audit.record("lead_viewed", lead_id=lead_id, detail="erasure confirmation")
    html = render_template("staff/lead_erase.html", lead=lead, form=EmptyForm())
    db.session.commit()
    return html


@bp.post("/leads/<id:lead_id>/erase")
@admin_required
def erase(lead_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    actor = current_user._get_current_object()
    with write_transaction():
        lead = actions.lead_for_update(lead_id)
        if lead is None:
            abort(404)
        already = lead.erased_at is not None
        erase_lead(lead, actor)
    truncate_sqlite_log()  # the log still holds the pages as they were
    flash(
        "This lead's personal details were already erased."
        if already
        else "The person's details were erased. Dates, status and condition are kept.",
        "success",
    )
    return redirect(url_for("staff.lead", lead_id=lead_id))
