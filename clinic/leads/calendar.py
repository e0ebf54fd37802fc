"""The staff calendar: a day's or a week's consultations, one person's (those they hold) or the
whole clinic's, in clinic days.

Booked consultations are read through the partial indexes of booked rows
(ix_appointments_booked_starts_at for the clinic, ix_appointments_booked_host_starts_at for one
host); the status is a literal so SQLite uses them too. Those already settled (attended, no-show,
cancelled) are few by comparison and read in a second query.

Each entry is named "Consultation #<ref>": the lead's latest inquiry reference (what the patient
quotes on the phone, and what the staff search finds), or the appointment's number for a lead
whose inquiries predate references. It says nothing about the person to anyone without staff
access, so it is also what the private calendar feeds show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, literal, select

from clinic import clock
from clinic.extensions import db
from clinic.leads.appointments import ends_at
from clinic.leads.inbox import listed
from clinic.models import Appointment, Inquiry, Lead, StaffUser

# More than a clinic holds in a week; a larger week says it was cut short.
ENTRY_LIMIT = 500
SETTLED = ("attended", "no_show", "cancelled")


@dataclass(frozen=True)
class Entry:
    """One consultation on the calendar."""

    appointment: Appointment
    lead: Lead
    host_name: str | None
    ref: str

    @property
    def ends_at(self) -> datetime:
        return ends_at(self.appointment)


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Agenda:
    """Consultations on consecutive clinic days; ``complete`` False when more were booked than
    were read."""

    days: list[Day]
    complete: bool

    @property
    def first(self) -> date:
        return self.days[0].day

    @property
    def last(self) -> date:
        return self.days[-1].day

    def __len__(self) -> int:
        return sum(len(day.entries) for day in self.days)


def agenda(first: date, last: date, host_id: int | None) -> Agenda:
    """Consultations starting on clinic days first..last, in time order: those ``host_id``
    holds, or with None everyone's (and those nobody holds yet)."""
    start, end = clock.day_range(first, last)
    found = appointments_between(start, end, host_id)
    complete = len(found) < ENTRY_LIMIT
    days = {
        first + timedelta(days=n): Day(first + timedelta(days=n))
        for n in range((last - first).days + 1)
    }
    zone = clock.zone()
    for entry in found[:ENTRY_LIMIT]:
        local_day = entry.appointment.starts_at.astimezone(zone).date()
        if local_day in days:
            days[local_day].entries.append(entry)
    return Agenda(list(days.values()), complete)


def appointments_between(
    start: datetime,
    end: datetime,
    host_id: int | None,
    *,
    statuses: Iterable[str] | None = None,
    limit: int = ENTRY_LIMIT,
) -> list[Entry]:
    """Consultations starting in [start, end) of listed leads (not merged or erased), ordered
    by start: booked ones and, unless ``statuses`` leaves them out, settled ones; at most
    ``limit`` of each."""
    wanted = set(statuses) if statuses is not None else {"booked", *SETTLED}
    rows: list[tuple[Appointment, Lead, str | None]] = []
    if "booked" in wanted:
        rows.extend(
            _read(
                start,
                end,
                host_id,
                Appointment.status == literal("booked", literal_execute=True),
                limit,
            )
        )
    settled = sorted(wanted & set(SETTLED))
    if settled:
        rows.extend(_read(start, end, host_id, Appointment.status.in_(settled), limit))
    rows.sort(key=lambda row: (row[0].starts_at, row[0].id))
    refs = references([appointment for appointment, _, _ in rows])
    return [
        Entry(appointment, lead, host_name, refs[appointment.id])
        for appointment, lead, host_name in rows
    ]


def _read(
    start: datetime,
    end: datetime,
    host_id: int | None,
    status: ColumnElement[bool],
    limit: int,
) -> list[tuple[Appointment, Lead, str | None]]:
    query = (
        select(Appointment, Lead, StaffUser.name)
        .join(Lead, Lead.id == Appointment.lead_id)
        .outerjoin(StaffUser, StaffUser.id == Appointment.host_id)
        .where(status, Appointment.starts_at >= start, Appointment.starts_at < end, *listed())
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    if host_id is not None:
        query = query.where(Appointment.host_id == host_id)
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def references(appointments: Iterable[Appointment]) -> dict[int, str]:
    """Each appointment's "Consultation #…" reference (see the module's docstring), in one
    query for any number of appointments."""
    appointments = list(appointments)
    lead_ids = sorted({appointment.lead_id for appointment in appointments})
    latest: dict[int, str] = {}
    if lead_ids:
        query = (
            select(Inquiry.lead_id, Inquiry.reference)
            .where(Inquiry.lead_id.in_(lead_ids), Inquiry.reference.is_not(None))
            .order_by(Inquiry.lead_id, Inquiry.created_at, Inquiry.id)
        )
        for lead_id, reference in db.session.execute(query):
            if reference:
                latest[lead_id] = reference  # the last one read is the latest
    return {
        appointment.id: latest.get(appointment.lead_id) or str(appointment.id)
        for appointment in appointments
    }


def host_choices() -> list[tuple[int, str]]:
    """Everyone who holds consultations or could (active admins and coordinators), by name."""
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.name)
        .where(StaffUser.active.is_(True), StaffUser.role != "editor")
        .order_by(StaffUser.name, StaffUser.id)
    )
    return [(row[0], row[1]) for row in rows]
