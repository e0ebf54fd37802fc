"""What the thanks page tells a patient: their reference, how and when the clinic will answer.

The inquiry form posts and redirects (post/redirect/get), so the thanks page learns what was
sent from the session, where the form's view leaves the reference, the chosen way of contact
and the time, and nothing the patient wrote. The page takes them out as it shows them: opened
again, or without sending the form, it leads back to the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import session

from clinic.clock import BusinessCalendar

SESSION_KEY = "sent_inquiry"
# How the thanks page says what a coordinator will do, by the way of contact chosen.
ANSWERS = {"phone": "call you", "email": "email you", "sms": "send you a text message"}
# An inquiry sent in the last hour before closing is promised for the next business day: a
# coordinator may not reach it before the clinic closes.
LAST_HOUR = timedelta(hours=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class SentInquiry:
    """What the thanks page may know about the inquiry just sent."""

    reference: str | None
    preferred_contact: str | None
    sent_at: datetime
    # The personal link's token to choose a consultation time (clinic.leads.booking); None
    # when nothing was stored.
    booking_token: str | None = None

    @property
    def answer(self) -> str:
        """'call you', 'email you', …: what the coordinator will do."""
        return ANSWERS.get(self.preferred_contact or "", "contact you")


def remember_sent(
    reference: str | None,
    preferred_contact: str | None,
    sent_at: datetime,
    booking_token: str | None = None,
) -> None:
    """Leave the thanks page what it shows (a reference is None when nothing was stored)."""
    session[SESSION_KEY] = {
        "reference": reference,
        "contact": preferred_contact if preferred_contact in ANSWERS else None,
        "at": sent_at.isoformat(),
        "book": booking_token,
    }


def take_sent() -> SentInquiry | None:
    """What the form's view left, removed from the session; None when nothing was sent."""
    left = session.pop(SESSION_KEY, None)
    if not isinstance(left, dict):
        return None
    try:
        sent_at = datetime.fromisoformat(left["at"])
    except (KeyError, TypeError, ValueError):
        return None
    book = left.get("book")
    return SentInquiry(
        left.get("reference"),
        left.get("contact"),
        sent_at,
        book if isinstance(book, str) else None,
    )


def reply_by(sent_at: datetime, calendar: BusinessCalendar) -> str:
    """When the clinic will answer an inquiry sent at ``sent_at``, as the end of a sentence:
    'today before 5 pm', 'tomorrow morning', 'on Monday morning'."""
    day = sent_at.astimezone(calendar.tz).date()
    if day.weekday() in calendar.days:
        _, closes_at = calendar.window(day)
        if sent_at < closes_at - LAST_HOUR:
            return f"today before {clock_time(calendar.closes)}"
    next_day = calendar.next_business_day(day)
    part = part_of_day(calendar.opens)
    if next_day == day + timedelta(days=1):
        return f"tomorrow {part}"
    return f"on {WEEKDAYS[next_day.weekday()]} {part}"


def part_of_day(opens: time) -> str:
    """Which part of the day the clinic's first hours fall in."""
    if opens.hour < 12:
        return "morning"
    return "afternoon" if opens.hour < 17 else "evening"


def clock_time(moment: time | None) -> str:
    """A time as people say it: '5 pm', '5:30 pm', 'noon', 'midnight' (None: the midnight a
    day closes at)."""
    if moment is None or moment == time(0):
        return "midnight"
    if moment == time(12):
        return "noon"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'am' if moment.hour < 12 else 'pm'}"
