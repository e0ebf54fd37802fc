"""Words for the lead record: its consultations and follow-up in words as well as dates (on
the shared words of clinic.templating: "tomorrow at 10:00", "overdue 3 days"), the outcomes the
contact form offers per channel, and what one contact step did.
"""

from __future__ import annotations

from datetime import date, datetime, time

from clinic import clock
from clinic.leads.actions import describe_status
from clinic.leads.appointments import ends_at
from clinic.leads.pipeline import CONTACT_CHANNELS, CONTACT_OUTCOMES, OUTCOMES_BY_CHANNEL
from clinic.models import Appointment, Lead, LeadEvent
from clinic.staff import bp
from clinic.templating import appointment_when, follow_up_due


def outcome_groups() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The outcomes offered, grouped by the channels that share them: (label, channels,
    outcomes), e.g. ("For an email or text message", ("email", "sms"), ("sent", …))."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for channel, outcomes in OUTCOMES_BY_CHANNEL.items():
        groups.setdefault(outcomes, []).append(channel)
    return [
        (
            "For " + " or ".join(_a(CONTACT_CHANNELS[c].lower()) for c in channels),
            tuple(channels),
            key,
        )
        for key, channels in groups.items()
    ]


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def step_summary(lead: Lead, events: list[LeadEvent]) -> str:
    """What one contact step did, in the order it happened, for the confirmation message."""
    said = []
    for event in events:
        if event.kind == "contact":
            channel = CONTACT_CHANNELS.get(event.channel or "", event.channel)
            outcome = CONTACT_OUTCOMES.get(event.outcome or "", event.outcome or "").lower()
            said.append(f"{channel} logged ({outcome}); attempt {lead.attempts}.")
        elif event.kind == "status":
            said.append(f"Status is now {describe_status(lead.status, lead.lost_reason)}.")
        elif event.body:
            said.append(f"{event.body}.")
    return " ".join(dict.fromkeys(said))


@bp.app_template_global()
def long_day(day: date, today: date) -> str:
    """ "Thursday 10 December", with the year only when it is not this one."""
    words = f"{day:%A} {day.day} {day:%B}"
    return words if day.year == today.year else f"{words} {day.year}"


@bp.app_template_global()
def appointment_times(appointment: Appointment, now: datetime) -> dict:
    """A consultation's time for the record: ``when`` in words ("Tomorrow at 10:00", "Today at
    14:30 (under way)"), ``span``, its day and hours in the clinic's zone, and whether it can be
    marked (``day_has_come``) or is over and waits to be (``awaiting``)."""
    start = appointment.starts_at.astimezone(clock.zone())
    end = ends_at(appointment).astimezone(clock.zone())
    today = clock.today(now)
    booked = appointment.status == "booked"
    when = appointment_when(appointment.starts_at, now)
    if booked and appointment.starts_at <= now < ends_at(appointment):
        when += " (under way)"
    return {
        "when": when[0].upper() + when[1:],
        "span": f"{long_day(start.date(), today)}, {start:%H:%M}–{end:%H:%M}",
        # Attended and no-show can be recorded from the consultation's day on.
        "day_has_come": start.date() <= today,
        "awaiting": booked and ends_at(appointment) <= now,
    }


@bp.app_template_global()
def follow_up_state(on: date | None, at: time | None, now: datetime) -> dict | None:
    """The next follow-up: ``when`` ("Friday 11 December at 14:30"), ``due`` in words ("overdue
    3 days", "due today at 14:30", "due in 2 days") and whether it is ``late``."""
    if on is None:
        return None
    due = follow_up_due(on, at, now)
    when = long_day(on, clock.today(now)) + (f" at {at:%H:%M}" if at else "")
    return {"when": when, "due": due, "late": due.startswith("overdue")}
