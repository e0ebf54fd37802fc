"""Consultations booked for a lead: booking, moving, and recording how each one went.

Staff book them today; patients will book themselves through the same functions (``actor`` None,
``booked_via`` "patient"), so nothing here assumes a coordinator is at the keyboard. Like
:mod:`clinic.leads.actions`, these add to the caller's transaction and never commit: the caller
locks the lead (``lead_for_update``) and the appointment (:func:`appointment_for_update`) first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import literal, select

from clinic import audit, clock
from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.actions import (
    NOTE_MAX,
    LeadActionError,
    change_status,
    check_workable,
    set_follow_up,
)
from clinic.leads.pipeline import CLOSED_STATUSES, STAGE_RANK
from clinic.models import Appointment, Lead, LeadEvent, StaffUser, utcnow
from clinic.models.appointments import APPOINTMENT_KINDS, BOOKED_VIA

DURATION_MIN = 5
DURATION_MAX = 480
LOCATION_MAX = 300
SETTLE_OUTCOMES = ("attended", "no_show", "cancelled")
# Booking moves a lead to "consult booked" only from these stages; a lead further along
# (consult done, treatment booked, treated) keeps its stage when it books another consultation.
BOOKING_MOVES_FROM = ("new", "contacted", *CLOSED_STATUSES)


@dataclass(frozen=True)
class AppointmentDetails:
    """What staff (or, later, the patient) choose for a consultation."""

    starts_at: datetime  # aware; built from the clinic-local date and time (clinic.clock)
    duration_minutes: int
    kind: str  # a key of APPOINTMENT_KINDS
    location: str | None = None
    host_id: int | None = None  # an active staff account, or None while undecided
    note: str | None = None


@dataclass(frozen=True)
class _Checked:
    """Details that passed the checks, cleaned as they will be stored."""

    starts_at: datetime
    duration_minutes: int
    kind: str
    location: str | None
    host: StaffUser | None
    note: str | None


class AppointmentError(LeadActionError):
    """The consultation can't be booked, moved or settled like that; raised before anything
    changes, with a message fit for staff."""


def check_details(lead: Lead, details: AppointmentDetails, *, now: datetime) -> None:
    """Check a consultation could be booked for the lead as given, changing nothing.

    :raise AppointmentError: see :func:`book_appointment`.
    """
    _checked(lead, details, now)


def _checked(
    lead: Lead, details: AppointmentDetails, now: datetime, *, booked_for: datetime | None = None
) -> _Checked:
    """``booked_for``: the time a consultation being changed has now, which may have passed
    (its location is corrected after the fact); any other start must still be ahead."""
    try:
        check_workable(lead)
    except LeadActionError as error:
        raise AppointmentError(str(error)) from error
    starts_at = details.starts_at
    if starts_at.tzinfo is None:
        raise AppointmentError("Give the consultation's date and time in the clinic's time zone.")
    if starts_at <= now and starts_at != booked_for:
        raise AppointmentError("That time has passed; choose a later date or time.")
    if not DURATION_MIN <= details.duration_minutes <= DURATION_MAX:
        raise AppointmentError(
            f"A consultation lasts from {DURATION_MIN} minutes to {DURATION_MAX // 60} hours."
        )
    if details.kind not in APPOINTMENT_KINDS:
        raise AppointmentError("Choose how the consultation happens: phone, video or in person.")
    location = normalise.clean_line(details.location) or None
    if location and len(location) > LOCATION_MAX:
        raise AppointmentError(f"The location can be at most {LOCATION_MAX} characters long.")
    note = normalise.clean_text(details.note) or None
    if note and len(note) > NOTE_MAX:
        raise AppointmentError(f"A note can be at most {NOTE_MAX} characters long.")
    host = None
    if details.host_id is not None:
        host = db.session.get(StaffUser, details.host_id)
        if host is None:
            raise AppointmentError("Choose who holds the consultation from the staff list.")
        if not host.active:
            raise AppointmentError(f"{host.name}'s account is deactivated; choose someone else.")
    return _Checked(
        starts_at=starts_at,
        duration_minutes=details.duration_minutes,
        kind=details.kind,
        location=location,
        host=host,
        note=note,
    )


def book_appointment(
    lead: Lead,
    details: AppointmentDetails,
    actor: StaffUser | None,
    *,
    now: datetime | None = None,
    booked_via: str = "staff",
) -> Appointment:
    """Book a consultation for the lead, put it on the timeline, and move a lead that is new,
    contacted or closed to "consult booked" (``actor`` None: the patient booked it).

    :raise AppointmentError: an erased or merged lead, a start that has passed, a length out
        of range, an unknown kind, a location or note too long, a host who is not an active
        staff account.
    """
    return book_with_events(lead, details, actor, now=now, booked_via=booked_via)[0]


def book_with_events(
    lead: Lead,
    details: AppointmentDetails,
    actor: StaffUser | None,
    *,
    now: datetime | None = None,
    booked_via: str = "staff",
) -> tuple[Appointment, list[LeadEvent]]:
    """:func:`book_appointment`, also giving the timeline entries it made (the change of stage,
    if any, then the booking) for a caller that reports a whole step."""
    now = now or utcnow()
    checked = _checked(lead, details, now)
    if booked_via not in BOOKED_VIA:
        raise AppointmentError(f"“{booked_via}” is not a way a consultation can be booked.")
    appointment = Appointment(
        lead_id=lead.id,
        starts_at=checked.starts_at,
        duration_minutes=checked.duration_minutes,
        kind=checked.kind,
        location=checked.location,
        host_id=checked.host.id if checked.host else None,
        note=checked.note,
        status="booked",
        booked_via=booked_via,
        booked_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.flush()
    events: list[LeadEvent] = []
    if lead.status in BOOKING_MOVES_FROM:
        moved = change_status(lead, "consult_booked", actor, now=now)
        events.extend([moved] if moved else [])
    if booked_via == "patient":
        body = f"The patient booked a consultation: {describe(appointment, now)}"
    else:
        body = f"Consultation booked: {describe(appointment, now)}"
    events.append(_event(lead, actor, now, body))
    _audit(lead, actor, f"appointment {appointment.id} booked")
    return appointment, events


def reschedule_appointment(
    appointment: Appointment,
    lead: Lead,
    details: AppointmentDetails,
    actor: StaffUser | None,
    *,
    now: datetime | None = None,
    by_patient: bool = False,
) -> Appointment:
    """Move a booked consultation or change how, where or with whom it happens; the timeline
    says what it was before (and, ``by_patient``, that the patient moved it through their
    link). Changing nothing adds nothing. A change of time, length, kind or host counts one
    more in the appointment's ``sequence`` (the calendar invitation's).

    :raise AppointmentError: the consultation is not this lead's or no longer booked, or the
        new details are refused as :func:`book_appointment` refuses them.
    """
    now = now or utcnow()
    _check_booked(appointment, lead)
    checked = _checked(lead, details, now, booked_for=appointment.starts_at)
    host_id = checked.host.id if checked.host else None
    before = describe(appointment, now)
    new_values = (
        checked.starts_at,
        checked.duration_minutes,
        checked.kind,
        checked.location,
        host_id,
        checked.note,
    )
    old_values = (
        appointment.starts_at,
        appointment.duration_minutes,
        appointment.kind,
        appointment.location,
        appointment.host_id,
        appointment.note,
    )
    if new_values == old_values:
        return appointment
    appointment.starts_at = checked.starts_at
    appointment.duration_minutes = checked.duration_minutes
    appointment.kind = checked.kind
    appointment.location = checked.location
    appointment.host_id = host_id
    appointment.note = checked.note
    appointment.updated_at = now
    if new_values[:5] != old_values[:5]:
        appointment.sequence = (appointment.sequence or 0) + 1
    after = describe(appointment, now)
    if by_patient:
        body = f"The patient moved the consultation to {after} (was {before})"
    elif after == before:
        # Only the location or the note changed; neither goes on the timeline (they are typed
        # text, kept on the appointment alone).
        body = f"Consultation details changed: {after}"
    elif checked.starts_at != old_values[0]:
        body = f"Consultation moved to {after} (was {before})"
    else:
        body = f"Consultation changed: {after} (was {before})"
    _event(lead, actor, now, body)
    _audit(lead, actor, f"appointment {appointment.id} changed")
    return appointment


def settle_appointment(
    appointment: Appointment,
    lead: Lead,
    outcome: str,
    actor: StaffUser | None,
    *,
    now: datetime | None = None,
    by_patient: bool = False,
) -> LeadEvent:
    """Record how a booked consultation went (``by_patient``: the patient cancelled it
    through their link).

    attended: the lead moves on to "consult done" unless it is there or further already.
    no_show: a follow-up is set for the clinic's next business day at the consultation's time.
    no_show and cancelled: a lead in "consult booked" with no other booked consultation still
    ahead goes back to "contacted".

    :raise AppointmentError: an unknown outcome, a consultation not of this lead or not
        booked, attended or no-show before the consultation's day, an erased/merged lead.
    """
    now = now or utcnow()
    if outcome not in SETTLE_OUTCOMES:
        raise AppointmentError("Choose what happened: attended, no-show or cancelled.")
    _check_booked(appointment, lead)
    try:
        check_workable(lead)
    except LeadActionError as error:
        raise AppointmentError(str(error)) from error
    if outcome != "cancelled" and clock.today(now) < clock.today(appointment.starts_at):
        raise AppointmentError(
            "This consultation hasn't happened yet; mark it attended or no-show on its day."
        )
    appointment.status = outcome
    if outcome == "cancelled":
        appointment.sequence = (appointment.sequence or 0) + 1
    appointment.settled_at = now
    appointment.settled_by_id = actor.id if actor else None
    appointment.updated_at = now
    when = describe(appointment, now, short=True)
    if outcome == "attended":
        event = _event(lead, actor, now, f"Consultation attended: {when}")
        rank = STAGE_RANK.get(lead.status)
        if rank is None or rank < STAGE_RANK["consult_done"]:
            change_status(lead, "consult_done", actor, now=now)
    elif outcome == "no_show":
        event = _event(lead, actor, now, f"No-show for the consultation of {when}")
        local_start = appointment.starts_at.astimezone(clock.zone())
        set_follow_up(
            lead, next_business_day(clock.today(now)), actor, at=local_start.time(), now=now
        )
        _step_back(lead, appointment, actor, now)
    elif by_patient:
        event = _event(lead, actor, now, f"The patient cancelled the consultation of {when}")
        _step_back(lead, appointment, actor, now, to_status=_status_before_booking(lead))
    else:
        event = _event(lead, actor, now, f"Consultation cancelled: {when}")
        _step_back(lead, appointment, actor, now)
    _audit(lead, actor, f"appointment {appointment.id} {outcome}")
    return event


def _step_back(
    lead: Lead,
    settled: Appointment,
    actor: StaffUser | None,
    now: datetime,
    *,
    to_status: str = "contacted",
) -> None:
    """A lead waiting for a consultation that won't happen goes back to "contacted" (or
    ``to_status``), unless another one is booked still ahead."""
    if lead.status != "consult_booked":
        return
    if any(other.id != settled.id for other in booked_not_over([lead.id], now).get(lead.id, ())):
        return
    change_status(lead, to_status, actor, now=now)


def _status_before_booking(lead: Lead) -> str:
    """The stage the lead was in when it last moved to "consult booked": "new" or
    "contacted" (a lead reopened from a closed stage by the booking goes to "contacted", which
    needs no lost reason and keeps it in the coordinators' lists)."""
    former = db.session.execute(
        select(LeadEvent.from_status)
        .where(
            LeadEvent.lead_id == lead.id,
            LeadEvent.kind == "status",
            LeadEvent.to_status == "consult_booked",
        )
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return former if former in ("new", "contacted") else "contacted"


def _check_booked(appointment: Appointment, lead: Lead) -> None:
    if appointment.lead_id != lead.id:
        raise AppointmentError("That consultation belongs to another lead.")
    if appointment.status != "booked":
        raise AppointmentError(
            f"This consultation was already recorded as {status_words(appointment.status)}."
        )


def next_business_day(day: date) -> date:
    """The first business day (clinic.clock's business days) after ``day``."""
    return clock.business_calendar().next_business_day(day)


def appointment_for_update(lead_id: int, appointment_id: int) -> Appointment | None:
    """The lead's appointment, locked until the transaction ends; None when the lead has no
    appointment by that number."""
    return db.session.execute(
        select(Appointment)
        .where(Appointment.id == appointment_id, Appointment.lead_id == lead_id)
        .with_for_update()
    ).scalar_one_or_none()


def appointments_for_lead(lead_id: int) -> list[Appointment]:
    """Every appointment of the lead: the booked ones first, soonest first (those past their
    time still wait to be marked), then the settled ones, newest first."""
    rows = db.session.execute(
        select(Appointment)
        .where(Appointment.lead_id == lead_id)
        .order_by(Appointment.starts_at, Appointment.id)
    ).scalars()
    booked: list[Appointment] = []
    settled: list[Appointment] = []
    for appointment in rows:
        (booked if appointment.status == "booked" else settled).append(appointment)
    return booked + settled[::-1]


def upcoming_for_lead(lead_id: int, now: datetime) -> Appointment | None:
    """The lead's next booked consultation that is not over yet (one under way counts)."""
    return next(iter(booked_not_over([lead_id], now).get(lead_id, ())), None)


def booked_not_over(lead_ids: Collection[int], now: datetime) -> dict[int, list[Appointment]]:
    """Each lead's booked consultations not over yet (one under way counts), soonest first, for
    any number of leads in one query (by ix_appointments_lead_id_starts_at).

    No condition on the start time: with one, PostgreSQL may read every booked consultation of
    the coming days by start instead of these leads' few, so the ones already over (a lead has
    at most a handful still marked booked) are left out here.
    """
    if not lead_ids:
        return {}
    rows = db.session.execute(
        select(Appointment)
        .where(
            Appointment.lead_id.in_(list(lead_ids)),
            Appointment.status == literal("booked", literal_execute=True),
        )
        .order_by(Appointment.lead_id, Appointment.starts_at, Appointment.id)
    ).scalars()
    found: dict[int, list[Appointment]] = {}
    for appointment in rows:
        if is_ahead(appointment, now):
            found.setdefault(appointment.lead_id, []).append(appointment)
    return found


def is_ahead(appointment: Appointment, now: datetime) -> bool:
    """Booked and not over yet: still to come, or under way."""
    return appointment.status == "booked" and ends_at(appointment) > now


def ends_at(appointment: Appointment) -> datetime:
    return appointment.starts_at + timedelta(minutes=appointment.duration_minutes)


def describe(appointment: Appointment, now: datetime, *, short: bool = False) -> str:
    """The consultation in the clinic's words and time: "Tuesday 8 December, 10:00–10:30,
    video, with Amara Okafor" (the year only when it is not this one); ``short``: day and
    start time alone. Never the location or note, which may hold details about the person."""
    zone = clock.zone()
    start = appointment.starts_at.astimezone(zone)
    day = f"{start:%A} {start.day} {start:%B}"
    if start.year != now.astimezone(zone).year:
        day += f" {start.year}"
    if short:
        return f"{day}, {start:%H:%M}"
    end = ends_at(appointment).astimezone(zone)
    parts = [f"{day}, {start:%H:%M}–{end:%H:%M}", APPOINTMENT_KINDS[appointment.kind].lower()]
    if appointment.host_id is not None:
        host = db.session.get(StaffUser, appointment.host_id)
        if host is not None:
            parts.append(f"with {host.name}")
    return ", ".join(parts)


def status_words(status: str) -> str:
    """An appointment's status in a sentence: "attended", "no-show", "cancelled", "booked"."""
    return {"no_show": "a no-show"}.get(status, status)


def _event(lead: Lead, actor: StaffUser | None, now: datetime, body: str) -> LeadEvent:
    event = LeadEvent(
        lead_id=lead.id,
        created_at=now,
        actor_id=actor.id if actor else None,
        kind="appointment",
        body=body,
    )
    db.session.add(event)
    lead.last_activity_at = now
    return event


def _audit(lead: Lead, actor: StaffUser | None, detail: str) -> None:
    # Ids and what happened only: where and why a person consults stays out of the audit log.
    audit.record("lead_changed", lead_id=lead.id, actor=actor, detail=detail)
