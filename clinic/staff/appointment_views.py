"""A lead's consultations on its record: book one, move or change it, and say how it went.

Each is a POST with CSRF on the lead record, like the record's other actions: the lead is
locked, then the consultation, the change is made in one transaction, and the record shows
again with a message (or with the error and what was typed).
"""

from __future__ import annotations

from flask import abort
from flask_login import login_required

from clinic import clock
from clinic.leads import actions, appointments
from clinic.staff import bp, patient_notices
from clinic.staff.appointment_forms import AppointmentForm, SettleAppointmentForm, host_choices
from clinic.staff.lead_display import staff_members
from clinic.staff.lead_record_views import act_on_lead, reschedule_prefix

SETTLED_WORDS = {
    "attended": "Marked as attended",
    "no_show": "Marked as a no-show",
    "cancelled": "Consultation cancelled",
}


@bp.post("/leads/<id:lead_id>/appointments")
@login_required
def book_appointment(lead_id: int):
    def change(lead, actor, form):
        booked = appointments.book_appointment(lead, form.appointment_details(), actor)
        when = appointments.describe(booked, clock.now())
        label = actions.describe_status(lead.status, lead.lost_reason)
        told = patient_notices.booked(lead, booked)
        return f"Consultation booked: {when}. The status is {label}.{told}"

    return act_on_lead(lead_id, "book_form", change)


@bp.post("/leads/<id:lead_id>/appointments/<id:appointment_id>")
@login_required
def reschedule_appointment(lead_id: int, appointment_id: int):
    """Move a booked consultation, or change how, where or with whom it happens."""
    form = AppointmentForm(prefix=reschedule_prefix(appointment_id))
    form.host.choices = host_choices(staff_members())

    def change(lead, actor, form):
        appointment = _locked(lead.id, appointment_id)
        appointments.reschedule_appointment(appointment, lead, form.appointment_details(), actor)
        told = patient_notices.moved(lead, appointment)
        return f"Consultation now {appointments.describe(appointment, clock.now())}.{told}"

    return act_on_lead(
        lead_id,
        "book_form",
        change,
        form=form,
        show_again=lambda sent: {"reschedule": {appointment_id: sent}},
        notice_key=reschedule_prefix(appointment_id),
    )


@bp.post("/leads/<id:lead_id>/appointments/<id:appointment_id>/settle")
@login_required
def settle_appointment(lead_id: int, appointment_id: int):
    """Attended, no-show (a follow-up follows) or cancelled."""

    def change(lead, actor, form):
        appointment = _locked(lead.id, appointment_id)
        outcome = form.outcome.data
        appointments.settle_appointment(appointment, lead, outcome, actor)
        said = [f"{SETTLED_WORDS[outcome]}: {appointments.describe(appointment, clock.now())}."]
        if outcome == "no_show" and lead.follow_up_on:
            follow_up = actions.follow_up_words(lead.follow_up_on, lead.follow_up_time)
            said.append(f"Next follow-up {follow_up}.")
        said.append(f"The status is {actions.describe_status(lead.status, lead.lost_reason)}.")
        told = patient_notices.cancelled(lead, appointment) if outcome == "cancelled" else ""
        return " ".join(said) + told

    return act_on_lead(
        lead_id,
        "settle_form",
        change,
        form=SettleAppointmentForm(),
        show_again=lambda sent: {},
        notice_key=f"settle-{appointment_id}",
    )


def _locked(lead_id: int, appointment_id: int):
    appointment = appointments.appointment_for_update(lead_id, appointment_id)
    if appointment is None:
        abort(404)
    return appointment
