"""Recording a contact in one step: how the person was contacted, what happened, and what comes
next (the stage, a consultation, the next follow-up).

A coordinator used to log the call, then change the status, then set the follow-up, in three
forms; one step keeps them together and all-or-nothing: everything is checked before anything
changes, and every entry carries the same moment, so the timeline shows them as one group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from clinic.leads.actions import (
    LeadActionError,
    change_status,
    check_contact,
    check_follow_up,
    check_workable,
    contact_note,
    log_contact,
    set_follow_up,
)
from clinic.leads.appointments import AppointmentDetails, book_with_events, check_details
from clinic.leads.pipeline import PipelineError, check_status_change
from clinic.models import Lead, LeadEvent, StaffUser, utcnow

BOOKED = "consult_booked"


@dataclass(frozen=True)
class ContactStep:
    """One contact and what follows it, as the coordinator chose."""

    channel: str
    outcome: str
    note: str | None = None
    status: str | None = None  # None, or the lead's current status: the stage stays
    lost_reason: str | None = None
    follow_up_on: date | None = None  # applied as given: None clears the follow-up
    follow_up_time: time | None = None
    appointment: AppointmentDetails | None = None  # needed when moving to consult booked


def record_contact_step(
    lead: Lead, step: ContactStep, actor: StaffUser, *, now: datetime | None = None
) -> list[LeadEvent]:
    """Log the contact, then the change of stage (booking the consultation for "consult
    booked"), then the follow-up; the timeline entries made, in that order.

    :raise LeadActionError: (or its AppointmentError) an erased or merged lead, a channel or
        outcome not known together, a note too long, a stage or lost reason not known, "consult
        booked" without the consultation's details (or details with another stage), refused
        details, a follow-up time without a day. Nothing has changed then.
    """
    now = now or utcnow()
    check_workable(lead)
    check_contact(step.channel, step.outcome)
    contact_note(step.note)
    to_status, lost_reason = lead.status, lead.lost_reason
    if step.status is not None:
        try:
            lost_reason = check_status_change(step.status, step.lost_reason)
        except PipelineError as error:
            raise LeadActionError(str(error)) from error
        to_status = step.status
    if step.appointment is not None:
        if to_status != BOOKED:
            raise LeadActionError(
                "A consultation is booked with the stage “Consult booked”; choose that stage "
                "or leave the consultation out."
            )
        check_details(lead, step.appointment, now=now)
    elif to_status == BOOKED and lead.status != BOOKED:
        raise LeadActionError(
            "Give the consultation's date and time, how long it lasts and how it happens, "
            "or choose another stage."
        )
    check_follow_up(step.follow_up_on, step.follow_up_time)

    events = [log_contact(lead, step.channel, step.outcome, actor, body=step.note, now=now)]
    if step.appointment is not None:
        events.extend(book_with_events(lead, step.appointment, actor, now=now)[1])
    # Booking leaves a lead further along where it is; the stage chosen here still applies.
    if (to_status, lost_reason) != (lead.status, lead.lost_reason):
        moved = change_status(lead, to_status, actor, lost_reason=lost_reason, now=now)
        events.extend([moved] if moved else [])
    follow_up = set_follow_up(lead, step.follow_up_on, actor, at=step.follow_up_time, now=now)
    events.extend([follow_up] if follow_up else [])
    return events
