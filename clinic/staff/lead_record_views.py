"""The lead record: everything about one person, and the small forms that move their lead on.

Every action is a POST with CSRF that changes the lead inside one write transaction, then
redirects back (post/redirect/get). A form that doesn't validate, or a change the domain
refuses, shows the record again with the error beside the field (or above the form) and what
was typed still there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from clinic import audit, clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import actions, appointments, conditions
from clinic.leads.contact_step import ContactStep, record_contact_step
from clinic.leads.identity import dismiss_possible_duplicate
from clinic.leads.pipeline import (
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    channel_for_preference,
)
from clinic.leads.record import load_record
from clinic.models import Lead, StaffUser
from clinic.models.appointments import APPOINTMENT_KINDS, APPOINTMENT_STATUSES
from clinic.public.forms import BEST_TIME, PAYMENT, PREFERRED_CONTACT
from clinic.staff import bp, patient_notices
from clinic.staff.appointment_forms import AppointmentForm, host_choices
from clinic.staff.lead_display import owner_choices, staff_members
from clinic.staff.lead_forms import (
    ContactStepForm,
    FollowUpForm,
    MergeLookupForm,
    NoteForm,
    NotSamePersonForm,
    OwnerForm,
    StatusForm,
)
from clinic.staff.record_display import outcome_groups, step_summary

FORMS = {
    "step_form": (ContactStepForm, "step"),
    "note_form": (NoteForm, "note"),
    "status_form": (StatusForm, "status"),
    "owner_form": (OwnerForm, "owner"),
    "follow_up_form": (FollowUpForm, "follow_up"),
    "book_form": (AppointmentForm, "book"),
}
# Forms whose rules depend on the lead (its stage, its follow-up).
LEAD_FORMS = ("step_form", "status_form", "follow_up_form")


def reschedule_prefix(appointment_id: int) -> str:
    return f"appointment-{appointment_id}"


def _current_values(lead: Lead) -> dict[str, dict]:
    """What each fresh form shows: the lead as it is, the channel the person prefers."""
    stage = {"status": lead.status, "lost_reason": lead.lost_reason or ""}
    follow_up = {"follow_up_on": lead.follow_up_on, "follow_up_time": lead.follow_up_time}
    return {
        "step_form": {
            "channel": channel_for_preference(lead.preferred_contact),
            **stage,
            **follow_up,
        },
        "status_form": stage,
        "owner_form": {"owner": str(lead.owner_id or "")},
        "follow_up_form": follow_up,
    }


def make_form(name: str, lead: Lead, staff: list[StaffUser], *, fresh: bool = False, **kwargs):
    """One of the record's forms, read from the request (or, ``fresh``, showing the lead as it
    is), with its choices of people filled in."""
    form_class, prefix = FORMS[name]
    if name in LEAD_FORMS:
        kwargs["lead"] = lead
    if fresh:
        kwargs.update(formdata=None, data=_current_values(lead).get(name, {}))
    form = form_class(prefix=prefix, **kwargs)
    _fill_choices(form, staff)
    return form


def _fill_choices(form: FlaskForm, staff: list[StaffUser]) -> None:
    if hasattr(form, "owner"):
        form.owner.choices = owner_choices(staff)
    if hasattr(form, "host"):
        form.host.choices = host_choices(staff)


def _reschedule_forms(record, staff: list[StaffUser], submitted: dict) -> dict[int, FlaskForm]:
    """A form to move or change each booked consultation, filled with it as it is."""
    forms: dict[int, FlaskForm] = {}
    for appointment in record.appointments:
        if appointment.status != "booked":
            continue
        form = submitted.get(appointment.id)
        if form is None:
            form = AppointmentForm(formdata=None, prefix=reschedule_prefix(appointment.id))
            form.fill_from(appointment)
            _fill_choices(form, staff)
        forms[appointment.id] = form
    return forms


def render_record(
    lead_id: int,
    status: int = 200,
    *,
    notices: dict[str, str] | None = None,
    reschedule: dict[int, FlaskForm] | None = None,
    **submitted,
):
    """Show the lead record and note in the audit log that this person's details were read.

    ``submitted``: a form just sent, shown as it was; ``notices``: a refusal to show above it.
    """
    record = load_record(lead_id)
    if record is None:
        abort(404)
    staff = staff_members()
    forms = {
        name: submitted.get(name) or make_form(name, record.lead, staff, fresh=True)
        for name in FORMS
    }
    now = clock.now()
    html = render_template(
        "staff/lead.html",
        record=record,
        lead=record.lead,
        now=now,
        today=clock.today(now),
        staff_names={user.id: user.name for user in staff},
        conditions=conditions.names(),
        channels=CONTACT_CHANNELS,
        outcomes=CONTACT_OUTCOMES,
        outcome_groups=outcome_groups(),
        appointment_kinds=APPOINTMENT_KINDS,
        appointment_statuses=APPOINTMENT_STATUSES,
        reschedule_forms=_reschedule_forms(record, staff, reschedule or {}),
        notices=notices or {},
        merge_lookup=MergeLookupForm(),
        not_same_person_form=NotSamePersonForm(formdata=None),
        contact_methods=dict(PREFERRED_CONTACT),
        best_times=dict(BEST_TIME),
        payments=dict(PAYMENT),
        **forms,
    )
    audit.record_seen("lead_viewed", lead_id=lead_id)
    return html, status


@bp.get("/leads/<id:lead_id>")
@login_required
def lead(lead_id: int):
    return render_record(lead_id)


def act_on_lead(
    lead_id: int,
    form_name: str,
    change: Callable[..., str],
    *,
    form: FlaskForm | None = None,
    show_again: Callable[[FlaskForm], dict] | None = None,
    notice_key: str | None = None,
):
    """Validate the submitted form, apply ``change`` to the locked lead, flash its message.

    ``form``: the form to read (else the record's form called ``form_name``); ``show_again``:
    how to hand that form back to :func:`render_record` when it fails (else as ``form_name``);
    ``notice_key``: where the record shows a refusal (else above ``form_name``).
    """
    lead = db.get_or_404(Lead, lead_id)
    try:
        actions.check_workable(lead)
    except actions.LeadActionError as error:
        # The record shows no forms for this lead any more, so the refusal is a message.
        flash(str(error), "error")
        return redirect(url_for("staff.lead", lead_id=lead_id))
    if form is None:
        form = make_form(form_name, lead, staff_members())
    again = show_again(form) if show_again else {form_name: form}
    if not form.validate_on_submit():
        return render_record(lead_id, 400, **again)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            locked = actions.lead_for_update(lead_id)
            if locked is None:
                abort(404)
            message = change(locked, actor, form)
    except actions.LeadActionError as error:
        notices = {notice_key or form_name: str(error)}
        return render_record(lead_id, 400, notices=notices, **again)
    flash(message, "success")
    return redirect(url_for("staff.lead", lead_id=lead_id))


@bp.post("/leads/<id:lead_id>/contact-step")
@login_required
def record_contact(lead_id: int):
    """The contact, the stage, the consultation and the next follow-up, in one step."""

    def change(lead, actor, form):
        step = ContactStep(
            channel=form.channel.data,
            outcome=form.outcome.data,
            note=form.note.data or None,
            status=form.status.data,
            lost_reason=form.lost_reason.data or None,
            follow_up_on=form.follow_up_on.data,
            follow_up_time=form.follow_up_time.data,
            appointment=form.appointment_details() if form.books_consultation() else None,
        )
        events = record_contact_step(lead, step, actor)
        told = patient_notices.newest_booked(lead) if step.appointment is not None else ""
        return step_summary(lead, events) + told

    return act_on_lead(lead_id, "step_form", change)


@bp.post("/leads/<id:lead_id>/notes")
@login_required
def add_note(lead_id: int):
    def change(lead, actor, form):
        actions.add_note(lead, form.body.data, actor)
        return "Note added."

    return act_on_lead(lead_id, "note_form", change)


@bp.post("/leads/<id:lead_id>/status")
@login_required
def change_status(lead_id: int):
    """Move the lead to another stage; "consult booked" books the consultation given with it."""

    def change(lead, actor, form):
        reason = form.lost_reason.data or None
        now = clock.now()  # one moment: the booking and the change read as one on the timeline
        booked = None
        if form.books_consultation():
            details = form.appointment_details()
            booked = appointments.book_appointment(lead, details, actor, now=now)
        event = actions.change_status(lead, form.status.data, actor, lost_reason=reason, now=now)
        label = actions.describe_status(lead.status, lead.lost_reason)
        if booked is not None:
            when = appointments.describe(booked, now, short=True)
            told = patient_notices.booked(lead, booked)
            return f"Consultation booked for {when}; the status is {label}.{told}"
        return f"Status is now {label}." if event else f"The status already was {label}."

    return act_on_lead(lead_id, "status_form", change)


@bp.post("/leads/<id:lead_id>/owner")
@login_required
def assign_owner(lead_id: int):
    def change(lead, actor, form):
        owner = db.session.get(StaffUser, int(form.owner.data)) if form.owner.data else None
        event = actions.assign_owner(lead, owner, actor)
        who = owner.name if owner else "nobody (unassigned)"
        return f"Assigned to {who}." if event else f"It already was assigned to {who}."

    return act_on_lead(lead_id, "owner_form", change)


@bp.post("/leads/<id:lead_id>/follow-up")
@login_required
def set_follow_up(lead_id: int):
    def change(lead, actor, form):
        on = form.follow_up_on.data
        at = form.follow_up_time.data if on else None
        event = actions.set_follow_up(lead, on, actor, at=at)
        if event is None:
            return "The follow-up was already that."
        if on is None:
            return "Follow-up cleared."
        return f"Next follow-up set for {actions.follow_up_words(on, at)}."

    return act_on_lead(lead_id, "follow_up_form", change)


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
