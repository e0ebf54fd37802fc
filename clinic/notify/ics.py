"""Calendar invitations (RFC 5545) for a patient's consultation: one per booking, change or
cancellation, all with the same UID, so the patient's calendar updates the one entry it holds.

An invitation is what a calendar shows to anyone who can see the patient's calendar (family, a
shared work calendar), so it names the clinic, the kind of consultation, who holds it and where,
and never the condition or anything the patient wrote. Times carry the clinic's zone (TZID, with
its VTIMEZONE for the year around the consultation), so a calendar in any zone places it right.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from clinic import clock
from clinic.models import Appointment
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.profile import current_profile

PRODID = "-//clinic//patient booking//EN"


def uid_for(appointment: Appointment) -> str:
    """Stable for the appointment's life, unique across clinics using this software."""
    host = urlsplit(current_app.config["CLINIC_PUBLIC_URL"]).hostname or "clinic.invalid"
    return f"appointment-{appointment.id}@{host}"


def organizer_address() -> str:
    """The clinic's email (its profile's, else the address emails are sent from)."""
    profile = current_profile()
    if profile.email:
        return profile.email
    sender: str = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rpartition("<")[2].rstrip(">").strip() or sender


def invitation(
    appointment: Appointment,
    *,
    method: str,
    host_name: str | None,
    where: str,
    manage_url: str,
    attendee: str | None = None,
    now: datetime,
) -> str:
    """The ``.ics`` text: METHOD:REQUEST for a booking or change, METHOD:CANCEL when
    cancelled; SEQUENCE is the appointment's, which each change raised."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unknown iTIP method {method!r}")
    profile = current_profile()
    zone = clock.zone()
    start = appointment.starts_at.astimezone(zone)
    end = start + timedelta(minutes=appointment.duration_minutes)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(
        Timezone.from_tzid(
            zone.key,
            first_date=start.date().replace(month=1, day=1) - timedelta(days=366),
            last_date=start.date().replace(month=12, day=31) + timedelta(days=1),
        )
    )

    event = Event()
    event.add("uid", uid_for(appointment))
    event.add("sequence", appointment.sequence or 0)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"Consultation with {profile.name}")
    kind = APPOINTMENT_KINDS.get(appointment.kind, appointment.kind).lower()
    with_whom = f" with {host_name}" if host_name else ""
    description = [
        f"{kind.capitalize()} consultation{with_whom}.",
        where,
        f"To move or cancel it: {manage_url}",
        f"Questions: call {profile.phone}.",
    ]
    event.add("description", "\n".join(line for line in description if line))
    event.add("location", where)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{organizer_address()}")
    organizer.params["cn"] = vText(profile.name)
    event.add("organizer", organizer)
    if attendee:
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("ACCEPTED")
        guest.params["rsvp"] = vText("FALSE")
        event.add("attendee", guest)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
