"""Consultations today for every demo coordinator, so that each one's Today shows some.

Left to chance, a small demo database has a consultation today for one coordinator or two at
most. After the load, a few of the consultations booked for a later day are given a slot today
instead, as if they had been booked for it: the appointment and its booking's timeline entry
change together.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from clinic import clock
from clinic.demo.timeline import Coordinator
from clinic.extensions import db
from clinic.leads.appointments import describe
from clinic.models import Appointment, LeadEvent

PER_COORDINATOR = 2
# First slot of each coordinator's morning and afternoon; the next coordinator's are half an
# hour later, so the team's consultations don't all start at once.
MORNING, AFTERNOON = time(9, 30), time(14, 0)


def slots_today(now: datetime, position: int) -> list[datetime]:
    """The coordinator's consultation times on the clinic's day of ``now`` (aware, UTC)."""
    day = clock.today(now)
    shift = timedelta(minutes=30 * position)
    return [
        datetime.combine(day, start, tzinfo=clock.zone()) + shift for start in (MORNING, AFTERNOON)
    ]


def bring_consultations_to_today(coordinators: tuple[Coordinator, ...], now: datetime) -> int:
    """Give each coordinator up to ``PER_COORDINATOR`` consultations today, taken from those
    booked (before today) for a later day, their own first; returns how many moved."""
    day_start, day_end = clock.day_range(clock.today(now), clock.today(now))
    later = (
        select(Appointment)
        .where(
            Appointment.status == "booked",
            Appointment.starts_at >= day_end,
            Appointment.created_at < day_start,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    moved = 0
    taken: set[int] = set()
    for position, coordinator in enumerate(coordinators):
        booked_today = db.session.execute(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.status == "booked",
                Appointment.host_id == coordinator.id,
                Appointment.starts_at >= day_start,
                Appointment.starts_at < day_end,
            )
        ).scalar_one()
        wanted = PER_COORDINATOR - booked_today
        if wanted <= 0:
            continue
        own = later.where(Appointment.host_id == coordinator.id, Appointment.id.not_in(taken))
        anyone = later.where(Appointment.id.not_in(taken))
        candidates = db.session.execute(own.limit(wanted)).scalars().all()
        if len(candidates) < wanted:
            candidates += db.session.execute(anyone.limit(wanted - len(candidates))).scalars()
        free = [at for at in slots_today(now, position) if not _holds(coordinator, at)]
        for appointment, starts_at in zip(candidates, free, strict=False):
            _rebook(appointment, coordinator, starts_at)
            taken.add(appointment.id)
            moved += 1
    db.session.commit()
    return moved


def _holds(host: Coordinator, starts_at: datetime) -> bool:
    """Whether the coordinator already holds a booked consultation starting then."""
    found = db.session.execute(
        select(Appointment.id).where(
            Appointment.status == "booked",
            Appointment.host_id == host.id,
            Appointment.starts_at == starts_at,
        )
    ).first()
    return found is not None


def _rebook(appointment: Appointment, host: Coordinator, starts_at: datetime) -> None:
    booking = db.session.execute(
        select(LeadEvent).where(
            LeadEvent.lead_id == appointment.lead_id,
            LeadEvent.kind == "appointment",
            LeadEvent.created_at == appointment.created_at,
            LeadEvent.body.startswith("Consultation booked:"),
        )
    ).scalar_one()
    appointment.starts_at = starts_at
    appointment.host_id = host.id
    booking.body = f"Consultation booked: {describe(appointment, appointment.created_at)}"
