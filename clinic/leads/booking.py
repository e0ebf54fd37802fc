"""Patients booking, moving and cancelling their own consultation, through a personal link.

No account and no password: the link is the key. It is signed with the app's SECRET_KEY (a salt
of its own, so no other signed value of the app passes for it), names the lead and one of its
inquiries (and, to manage a booking, the appointment), and works for BookingSettings.link_days
days; a link to manage a booking also works until the consultation is over. It stops working
for a lead that is erased or merged into another (its inquiries and appointments then belong to
the other lead), so it opens nothing of another person's.

Two patients choosing the same time: the database decides (the partial unique index on booked
appointments by host and start, migration 0030_patient_booking). The time is checked against
the free slots first only to refuse a time that was never offered; the insert, in a savepoint,
is what settles a race, and an IntegrityError tries the time's next host or ends in
:class:`SlotTaken`. Like :mod:`clinic.leads.appointments`, these functions add to the caller's
transaction (which locks the lead first) and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic import clock
from clinic.extensions import db
from clinic.leads import availability
from clinic.leads.actions import LeadActionError, check_workable
from clinic.leads.appointments import (
    AppointmentDetails,
    book_with_events,
    ends_at,
    reschedule_appointment,
    settle_appointment,
    upcoming_for_lead,
)
from clinic.models import Appointment, Clinician, Inquiry, Lead, StaffUser
from clinic.models.appointments import APPOINTMENT_KINDS

BOOK_SALT = "clinic.patient-booking.book"
MANAGE_SALT = "clinic.patient-booking.manage"
# An expired link still proves whose it was (the signature holds); a fresh one is sent to the
# address on file only for links up to this old, so a link found in an old mailbox years later
# is just dead.
RENEWABLE_DAYS = 365
TIMEZONE_MAX = 64
_OFFER_KEY = re.compile(r"^(phone|video|in_person)@(\d{8}T\d{4})Z$")


class LinkError(Exception):
    """A booking link that opens nothing; the subclasses say why (never shown as such)."""


class LinkInvalid(LinkError):
    """Not a link the clinic made (altered, truncated, or for another purpose)."""


class LinkExpired(LinkError):
    """A real link past its time; ``claims`` says whose it was, to send them a fresh one."""

    def __init__(self, claims: LinkClaims):
        super().__init__("link expired")
        self.claims = claims


class LinkRevoked(LinkError):
    """A real link whose lead was erased or merged, or whose appointment is not the lead's."""


class BookingError(ValueError):
    """The patient's choice can't be made; the message is fit for the patient."""


class SlotTaken(BookingError):
    """Someone else booked that time first (or it is no longer offered)."""

    def __init__(self) -> None:
        super().__init__("Sorry, that time was just taken. Please choose another time.")


class AlreadyBooked(BookingError):
    """The lead has a consultation booked still ahead: manage that one instead."""

    def __init__(self, appointment: Appointment):
        super().__init__("You already have a consultation booked.")
        self.appointment = appointment


class TooLate(BookingError):
    """The consultation has begun, is over, or was already cancelled."""


@dataclass(frozen=True)
class LinkClaims:
    lead_id: int
    inquiry_id: int
    appointment_id: int | None
    issued_at: datetime


@dataclass(frozen=True)
class Offer:
    """A time patients may choose: one entry however many hosts offer it (the booking picks
    the first of ``host_ids`` still free)."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    host_ids: tuple[int, ...]
    location: str | None

    @property
    def key(self) -> str:
        """What the form posts back: kind and UTC start, e.g. ``phone@20261210T1400Z``."""
        return f"{self.kind}@{self.starts_at.astimezone(UTC):%Y%m%dT%H%M}Z"


# Links ------------------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def booking_token(lead_id: int, inquiry_id: int) -> str:
    """The personal link's token to choose a time, for the lead who sent the inquiry."""
    return _serializer(BOOK_SALT).dumps([lead_id, inquiry_id])


def manage_token(appointment: Appointment) -> str:
    """The token of the link to move or cancel one consultation."""
    inquiry_id = latest_inquiry_id(appointment.lead_id) or 0
    return _serializer(MANAGE_SALT).dumps([appointment.lead_id, inquiry_id, appointment.id])


def latest_inquiry_id(lead_id: int) -> int | None:
    return db.session.execute(
        select(Inquiry.id).where(Inquiry.lead_id == lead_id).order_by(Inquiry.id.desc()).limit(1)
    ).scalar_one_or_none()


def read_token(token: str, *, manage: bool = False) -> LinkClaims:
    """Whose link this is, by its signature alone (its age is checked by :func:`open_link`).

    :raise LinkInvalid: anything the clinic did not sign for this purpose.
    """
    if not token or len(token) > 300:
        raise LinkInvalid("no token")
    try:
        payload, issued = _serializer(MANAGE_SALT if manage else BOOK_SALT).loads(
            token, return_timestamp=True
        )
    except BadSignature as error:
        raise LinkInvalid("bad signature") from error
    size = 3 if manage else 2
    if not (
        isinstance(payload, list)
        and len(payload) == size
        and all(type(value) is int and value >= 0 for value in payload)
    ):
        raise LinkInvalid("unexpected payload")
    return LinkClaims(
        lead_id=payload[0],
        inquiry_id=payload[1],
        appointment_id=payload[2] if manage else None,
        issued_at=issued.astimezone(UTC),
    )


def open_link(
    token: str, *, now: datetime, manage: bool = False, for_update: bool = False
) -> tuple[Lead, Appointment | None]:
    """The lead (and, with ``manage``, the appointment) a link opens right now.

    ``for_update`` locks the lead (and the appointment) until the transaction ends, for a
    caller about to change them.

    :raise LinkInvalid: not a link the clinic signed for this purpose.
    :raise LinkRevoked: the lead was erased or merged, or the inquiry or appointment named is
        no longer the lead's.
    :raise LinkExpired: older than the booking settings allow.
    """
    claims = read_token(token, manage=manage)
    query = select(Lead).where(Lead.id == claims.lead_id)
    lead = db.session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if lead is None:
        raise LinkRevoked("no such lead")
    try:
        check_workable(lead)
    except LeadActionError as error:
        raise LinkRevoked("erased or merged") from error
    if claims.inquiry_id and not _inquiry_is_leads(claims.inquiry_id, lead.id):
        raise LinkRevoked("inquiry not the lead's")
    if not manage and not claims.inquiry_id:
        raise LinkRevoked("no inquiry")
    appointment = None
    lasts = timedelta(days=availability.booking_settings().link_days)
    expires = claims.issued_at + lasts
    if manage:
        query_appointment = select(Appointment).where(
            Appointment.id == claims.appointment_id, Appointment.lead_id == lead.id
        )
        if for_update:
            query_appointment = query_appointment.with_for_update()
        appointment = db.session.execute(query_appointment).scalar_one_or_none()
        if appointment is None:
            raise LinkRevoked("appointment not the lead's")
        # A booking made three weeks ahead must stay manageable from its confirmation email.
        expires = max(expires, ends_at(appointment))
    if now > expires:
        raise LinkExpired(claims)
    return lead, appointment


def _inquiry_is_leads(inquiry_id: int, lead_id: int) -> bool:
    return (
        db.session.execute(
            select(Inquiry.id).where(Inquiry.id == inquiry_id, Inquiry.lead_id == lead_id)
        ).first()
        is not None
    )


def lead_for_renewal(claims: LinkClaims, now: datetime) -> Lead | None:
    """The lead an expired link may have a fresh one sent for: still workable, with an email
    address, the link not older than RENEWABLE_DAYS; None otherwise (the caller says the same
    thing either way, so the page reveals nothing)."""
    if now - claims.issued_at > timedelta(days=RENEWABLE_DAYS):
        return None
    lead = db.session.get(Lead, claims.lead_id)
    if lead is None or lead.erased_at is not None or lead.merged_into_id is not None:
        return None
    if not lead.email or not _inquiry_is_leads(claims.inquiry_id, lead.id):
        return None
    return lead


# Times offered ----------------------------------------------------------------------------


def offers(*, now: datetime, kind: str | None = None) -> list[Offer]:
    """The free times patients may choose, soonest first, each (start, kind) once."""
    merged: dict[tuple[datetime, str], Offer] = {}
    for slot in availability.free_slots(now=now, kind=kind):
        key = (slot.starts_at, slot.kind)
        found = merged.get(key)
        if found is None:
            merged[key] = Offer(
                slot.starts_at, slot.ends_at, slot.kind, (slot.host_id,), slot.location
            )
        elif slot.host_id not in found.host_ids:
            merged[key] = Offer(
                found.starts_at,
                found.ends_at,
                found.kind,
                (*found.host_ids, slot.host_id),
                found.location,
            )
    return sorted(merged.values(), key=lambda offer: (offer.starts_at, offer.kind))


def kinds_offered(*, now: datetime) -> list[str]:
    """The kinds with at least one free time, in APPOINTMENT_KINDS' order."""
    found = {offer.kind for offer in offers(now=now)}
    return [kind for kind in APPOINTMENT_KINDS if kind in found]


def parse_offer_key(text: str | None) -> tuple[str, datetime] | None:
    """``phone@20261210T1400Z`` → ("phone", 2026-12-10 14:00 UTC); None for anything else."""
    match = _OFFER_KEY.match((text or "").strip())
    if match is None:
        return None
    try:
        starts_at = datetime.strptime(match.group(2), "%Y%m%dT%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return match.group(1), starts_at


def _slots_for(key: str, now: datetime) -> list[availability.Slot]:
    """Every host's free slot at the posted time, in the hosts' order; empty when the time is
    not (or no longer) offered."""
    parsed = parse_offer_key(key)
    if parsed is None:
        return []
    kind, starts_at = parsed
    found = availability.free_slots(
        now=now, kind=kind, start=starts_at, end=starts_at + timedelta(days=1)
    )
    return [slot for slot in found if slot.starts_at == starts_at and slot.kind == kind]


# Booking, moving, cancelling ---------------------------------------------------------------


def book_as_patient(
    lead: Lead, key: str, *, now: datetime, timezone_hint: str | None = None
) -> Appointment:
    """Book the time the patient chose (``key``: :attr:`Offer.key`) with its first host still
    free; the lead moves to "consult booked" and the timeline says the patient did it.

    :raise AlreadyBooked: the lead has a consultation booked still ahead.
    :raise SlotTaken: the time is gone (another patient got it first, or it is no longer
        offered).
    :raise BookingError: the lead can't be changed (erased or merged).
    """
    try:
        check_workable(lead)
    except LeadActionError as error:
        raise BookingError("This link no longer works. Please call us.") from error
    upcoming = upcoming_for_lead(lead.id, now)
    if upcoming is not None:
        raise AlreadyBooked(upcoming)
    for slot in _slots_for(key, now):
        details = AppointmentDetails(
            starts_at=slot.starts_at,
            duration_minutes=_minutes(slot),
            kind=slot.kind,
            location=slot.location,
            host_id=slot.host_id,
        )
        try:
            with db.session.begin_nested():
                appointment, _ = book_with_events(
                    lead, details, None, now=now, booked_via="patient"
                )
        except IntegrityError:
            # Another patient's booking of this host at this time committed first.
            continue
        appointment.timezone_hint = clean_timezone(timezone_hint)
        return appointment
    raise SlotTaken()


def reschedule_as_patient(
    appointment: Appointment,
    lead: Lead,
    key: str,
    *,
    now: datetime,
    timezone_hint: str | None = None,
) -> Appointment:
    """Move the patient's consultation to the time they chose, with that time's first host
    still free; the timeline says the patient moved it.

    :raise TooLate: the consultation is no longer booked or has begun.
    :raise SlotTaken: the new time is gone.
    """
    _check_changeable(appointment, now)
    for slot in _slots_for(key, now):
        details = AppointmentDetails(
            starts_at=slot.starts_at,
            duration_minutes=_minutes(slot),
            kind=slot.kind,
            location=slot.location,
            host_id=slot.host_id,
            note=appointment.note,
        )
        try:
            with db.session.begin_nested():
                reschedule_appointment(appointment, lead, details, None, now=now, by_patient=True)
                db.session.flush()
        except IntegrityError:
            db.session.refresh(appointment)
            continue
        if timezone_hint is not None:
            appointment.timezone_hint = clean_timezone(timezone_hint)
        return appointment
    raise SlotTaken()


def cancel_as_patient(appointment: Appointment, lead: Lead, *, now: datetime) -> Appointment:
    """Cancel the patient's consultation; a lead waiting for it goes back to the stage it was
    in before it was booked.

    :raise TooLate: the consultation is no longer booked or has begun.
    """
    _check_changeable(appointment, now)
    settle_appointment(appointment, lead, "cancelled", None, now=now, by_patient=True)
    return appointment


def _check_changeable(appointment: Appointment, now: datetime) -> None:
    if appointment.status != "booked":
        raise TooLate("This consultation was cancelled or has already taken place.")
    if appointment.starts_at <= now:
        raise TooLate("This consultation has already begun. Please call us.")


def _minutes(slot: availability.Slot) -> int:
    return int((slot.ends_at - slot.starts_at).total_seconds() // 60)


def upcoming(lead_id: int, now: datetime) -> Appointment | None:
    """The lead's next booked consultation not over yet."""
    return upcoming_for_lead(lead_id, now)


# Words for patients -----------------------------------------------------------------------


def clean_timezone(name: str | None) -> str | None:
    """An IANA time zone name the browser sent, if it is one; None otherwise."""
    name = (name or "").strip()
    if not name or len(name) > TIMEZONE_MAX or name not in _known_zones():
        return None
    return name


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def patient_zone(name: str | None) -> ZoneInfo:
    """The patient's zone when known and valid, the clinic's otherwise."""
    cleaned = clean_timezone(name)
    return ZoneInfo(cleaned) if cleaned else clock.zone()


def zone_words(zone: ZoneInfo) -> str:
    """'New York time' for America/New_York, 'UTC' for UTC: the zone as people name it."""
    key = zone.key
    if "/" not in key:
        return key
    return key.rsplit("/", 1)[1].replace("_", " ") + " time"


def day_words(moment: datetime, zone: ZoneInfo, *, year: bool = False) -> str:
    """'Thursday 10 December' (with ``year``: 'Thursday 10 December 2026')."""
    local = moment.astimezone(zone)
    words = f"{local:%A} {local.day} {local:%B}"
    return f"{words} {local.year}" if year else words


def time_words(moment: datetime, zone: ZoneInfo) -> str:
    """'9:00 am', '12:30 pm'."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def span_words(starts_at: datetime, ends: datetime, zone: ZoneInfo) -> str:
    """'9:00 am – 9:30 am'."""
    return f"{time_words(starts_at, zone)} – {time_words(ends, zone)}"


def host_names(host_ids: list[int]) -> dict[int, str]:
    """What patients are told about who holds a consultation: the clinician's name on the
    clinicians page when the staff account is theirs, the staff member's first name otherwise."""
    ids = sorted(set(host_ids))
    if not ids:
        return {}
    names = {
        staff.id: (staff.name.split() or [staff.name])[0]
        for staff in db.session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
    }
    clinicians = db.session.execute(
        select(Clinician.staff_user_id, Clinician.name).where(
            Clinician.staff_user_id.in_(ids), Clinician.published.is_(True)
        )
    )
    for staff_id, name in clinicians:
        if staff_id is not None:
            names[staff_id] = name
    return names
