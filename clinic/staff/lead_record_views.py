"""The lead record: everything about one person, and the small forms that move their lead on.

Every action is a POST with CSRF that changes the lead inside one write transaction, then
redirects back (post/redirect/get). A form that doesn't validate shows the record again with
the error beside the field and what was typed still there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from clinic import audit
from clinic.database import truncate_sqlite_log, write_transaction
from clinic.extensions import db
from clinic.leads import actions, conditions
from clinic.leads.erasure import erase_lead
from clinic.leads.identity import dismiss_possible_duplicate
from clinic.leads.merge import merge_leads
from clinic.leads.pipeline import CONTACT_CHANNELS, CONTACT_OUTCOMES
from clinic.leads.record import load_record
from clinic.models import Lead, StaffUser
from clinic.public.forms import BEST_TIME, PAYMENT, PREFERRED_CONTACT
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.forms import EmptyForm
from clinic.staff.lead_display import owner_choices, staff_members
from clinic.staff.lead_forms import (
    ContactForm,
    FollowUpForm,
    MergeForm,
    MergeLookupForm,
    NoteForm,
    NotSamePersonForm,
    OwnerForm,
    StatusForm,
)

FORMS = {
    "note_form": (NoteForm, "note"),
    "contact_form": (ContactForm, "contact"),
    "status_form": (StatusForm, "status"),
    "owner_form": (OwnerForm, "owner"),
    "follow_up_form": (FollowUpForm, "follow_up"),
}


def _forms_for(lead: Lead, staff: list[StaffUser], submitted: dict) -> dict:
    """The record's action forms: the one just submitted as it was, the others fresh."""
    current = {
        "status_form": {"status": lead.status, "lost_reason": lead.lost_reason or ""},
        "owner_form": {"owner": str(lead.owner_id or "")},
        "follow_up_form": {"follow_up_on": lead.follow_up_on},
    }
    forms = {}
    for name, (form_class, prefix) in FORMS.items():
        form = submitted.get(name) or form_class(
            formdata=None, prefix=prefix, data=current.get(name, {})
        )
        forms[name] = form
    forms["owner_form"].owner.choices = owner_choices(staff)
    return forms


def render_record(lead_id: int, status: int = 200, **submitted):
    """Show the lead record and note in the audit log that this person's details were read."""
    record = load_record(lead_id)
    if record is None:
        abort(404)
    staff = staff_members()
    html = render_template(
        "staff/lead.html",
        record=record,
        lead=record.lead,
        staff_names={user.id: user.name for user in staff},
        conditions=conditions.names(),
        channels=CONTACT_CHANNELS,
        outcomes=CONTACT_OUTCOMES,
        merge_lookup=MergeLookupForm(),
        not_same_person_form=NotSamePersonForm(formdata=None),
        contact_methods=dict(PREFERRED_CONTACT),
        best_times=dict(BEST_TIME),
        payments=dict(PAYMENT),
        **_forms_for(record.lead, staff, submitted),
    )
    audit.record_seen("lead_viewed", lead_id=lead_id)
    return html, status


@bp.get("/leads/<id:lead_id>")
@login_required
def lead(lead_id: int):
    return render_record(lead_id)


def _act(lead_id: int, form_name: str, change: Callable[..., str]):
    """Validate the submitted form, apply ``change`` to the locked lead, flash its message."""
    form_class, prefix = FORMS[form_name]
    form = form_class(prefix=prefix)
    if form_name == "owner_form":
        form.owner.choices = owner_choices(staff_members())
    if not form.validate_on_submit():
        return render_record(lead_id, 400, **{form_name: form})
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            lead = actions.lead_for_update(lead_id)
            if lead is None:
                abort(404)
            message = change(lead, actor, form)
    except actions.LeadActionError as error:
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(url_for("staff.lead", lead_id=lead_id))


@bp.post("/leads/<id:lead_id>/notes")
@login_required
def add_note(lead_id: int):
    def change(lead, actor, form):
        actions.add_note(lead, form.body.data, actor)
        return "Note added."

    return _act(lead_id, "note_form", change)


@bp.post("/leads/<id:lead_id>/contacts")
@login_required
def log_contact(lead_id: int):
    def change(lead, actor, form):
        actions.log_contact(lead, form.channel.data, form.outcome.data, actor, body=form.body.data)
        outcome = CONTACT_OUTCOMES[form.outcome.data].lower()
        return f"{CONTACT_CHANNELS[form.channel.data]} logged ({outcome}); attempt {lead.attempts}."

    return _act(lead_id, "contact_form", change)


@bp.post("/leads/<id:lead_id>/status")
@login_required
def change_status(lead_id: int):
    def change(lead, actor, form):
        reason = form.lost_reason.data or None
        event = actions.change_status(lead, form.status.data, actor, lost_reason=reason)
        label = actions.describe_status(lead.status, lead.lost_reason)
        return f"Status is now {label}." if event else f"The status already was {label}."

    return _act(lead_id, "status_form", change)


@bp.post("/leads/<id:lead_id>/owner")
@login_required
def assign_owner(lead_id: int):
    def change(lead, actor, form):
        owner = db.session.get(StaffUser, int(form.owner.data)) if form.owner.data else None
        event = actions.assign_owner(lead, owner, actor)
        who = owner.name if owner else "nobody (unassigned)"
        return f"Assigned to {who}." if event else f"It already was assigned to {who}."

    return _act(lead_id, "owner_form", change)


@bp.post("/leads/<id:lead_id>/follow-up")
@login_required
def set_follow_up(lead_id: int):
    def change(lead, actor, form):
        on = form.follow_up_on.data
        event = actions.set_follow_up(lead, on, actor)
        if event is None:
            return "The follow-up date was already that."
        return f"Next follow-up set for {on:%A %-d %B %Y}." if on else "Follow-up cleared."

    return _act(lead_id, "follow_up_form", change)


@bp.post("/leads/<id:lead_id>/not-same-person")
@login_required
def not_same_person(lead_id: int):
    """Dismiss the "possible same person" mark between this lead and the one in the form."""
    form = NotSamePersonForm()
    if not form.validate_on_submit():
        abort(400)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            locked = {
                lead.id: lead for lead in actions.leads_for_update([lead_id, form.other.data])
            }
            if lead_id not in locked or form.other.data not in locked:
                abort(404)
            dismissed = dismiss_possible_duplicate(locked[lead_id], locked[form.other.data], actor)
    except actions.LeadActionError as error:
        flash(str(error), "error")
    else:
        if dismissed:
            flash(f"Marked as not the same person as lead #{form.other.data}.", "success")
        else:
            flash(f"This lead was not marked against lead #{form.other.data}.", "error")
    return redirect(url_for("staff.lead", lead_id=lead_id))


# --- admin: merge and erasure --------------------------------------------------------------


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
