"""Private calendar feeds: an ICS address per staff member, so the consultations they hold show
in Google Calendar or Outlook.

The address holds a random token; only its SHA-256 is stored, the address is shown once when it
is made, and making a new one or revoking it stops the old one at once. Calendar apps copy what
they fetch to servers the clinic doesn't control, so an entry says "Consultation #<ref>" (see
clinic.leads.calendar) and links to the lead's staff page, which asks for a sign-in: no name,
condition, phone or email, ever. The location is given for visits in person only (an address
or room of the clinic); a video link or a patient's number stays in the staff pages.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from clinic import audit, clock
from clinic.extensions import db
from clinic.leads.calendar import appointments_between
from clinic.models import CalendarFeed, StaffUser, utcnow

PAST_DAYS = 30
AHEAD_DAYS = 180
# More than anyone holds in the window; the feed is cut there rather than growing unbounded.
FEED_LIMIT = 5000
# Calendar apps poll every few minutes; the time of the last fetch is written at most this often.
FETCH_NOTED_EVERY = timedelta(minutes=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_feed(staff_user_id: int) -> CalendarFeed | None:
    """The person's feed still working, if any."""
    return db.session.execute(
        select(CalendarFeed)
        .where(CalendarFeed.staff_user_id == staff_user_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def create_feed(
    staff_user: StaffUser, actor: StaffUser | None, *, now: datetime | None = None
) -> str:
    """Make the person a new feed address, revoking any earlier one; returns the token (the
    only time it is known: show it, then forget it). Audited; adds to the caller's transaction."""
    now = now or utcnow()
    replaced = _revoke_all(staff_user.id, now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        CalendarFeed(staff_user_id=staff_user.id, token_hash=token_hash(token), created_at=now)
    )
    db.session.flush()
    audit.record(
        "calendar feed created",
        detail=f"{staff_user.email}"
        + (" (the earlier address stopped working)" if replaced else ""),
        actor=actor,
    )
    return token


def revoke_feed(
    staff_user: StaffUser, actor: StaffUser | None, *, now: datetime | None = None
) -> bool:
    """Stop the person's feed address working; False when they had none. Audited."""
    if not _revoke_all(staff_user.id, now or utcnow()):
        return False
    audit.record("calendar feed revoked", detail=staff_user.email, actor=actor)
    return True


def _revoke_all(staff_user_id: int, now: datetime) -> int:
    feeds = db.session.execute(
        select(CalendarFeed).where(
            CalendarFeed.staff_user_id == staff_user_id, CalendarFeed.revoked_at.is_(None)
        )
    ).scalars()
    count = 0
    for feed in feeds:
        feed.revoked_at = now
        count += 1
    return count


def feed_for_token(token: str) -> tuple[CalendarFeed, StaffUser] | None:
    """The working feed the token opens, with its owner; None for an unknown, revoked or
    malformed token, or an owner whose account is deactivated.

    The token is looked up by its hash, so the database compares digests, never the secret,
    and a near miss is no faster to find than any other guess.
    """
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(CalendarFeed, StaffUser)
        .join(StaffUser, StaffUser.id == CalendarFeed.staff_user_id)
        .where(CalendarFeed.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    feed, owner = row[0], row[1]
    if feed.revoked_at is not None or not owner.active:
        return None
    return feed, owner


def fetch_worth_noting(feed: CalendarFeed, now: datetime) -> bool:
    """Whether to write down this fetch's time: calendar apps poll often, and the owner only
    needs to see roughly when their feed was last read (and that it still is)."""
    return feed.last_fetched_at is None or now - feed.last_fetched_at >= FETCH_NOTED_EVERY


def feed_calendar(
    owner: StaffUser,
    *,
    now: datetime,
    lead_url: Callable[[int], str],
    uid_domain: str,
    clinic_name: str,
) -> bytes:
    """The owner's consultations from PAST_DAYS ago to AHEAD_DAYS ahead as an iCalendar file,
    times in the clinic's zone (with its VTIMEZONE)."""
    zone = clock.zone()
    start = now - timedelta(days=PAST_DAYS)
    end = now + timedelta(days=AHEAD_DAYS)
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic//Consultations//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{clinic_name}: consultations")
    calendar.add("x-wr-timezone", zone.key)
    for entry in appointments_between(start, end, owner.id, limit=FEED_LIMIT):
        appointment = entry.appointment
        event = Event()
        event.add("uid", f"consultation-{appointment.id}@{uid_domain}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", appointment.starts_at.astimezone(zone))
        event.add("dtend", entry.ends_at.astimezone(zone))
        event.add("summary", f"Consultation #{entry.ref}")
        link = lead_url(entry.lead.id)
        event.add("description", link)
        event.add("url", link)
        if appointment.kind == "in_person" and appointment.location:
            event.add("location", appointment.location)
        event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
        event.add("sequence", _sequence(appointment.created_at, appointment.updated_at))
        event.add("last-modified", appointment.updated_at.astimezone(UTC))
        event.add("class", "PRIVATE")
        event.add("transp", "TRANSPARENT" if appointment.status == "cancelled" else "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=(start - timedelta(days=1)).date(), last_date=(end + timedelta(days=2)).date()
    )
    body: bytes = calendar.to_ical()
    return body


def _sequence(created_at: datetime, updated_at: datetime) -> int:
    """Seconds from creation to the last change: grows with every change, as calendar apps
    need to take a moved consultation's new time over the one they kept."""
    return max(int((updated_at - created_at).total_seconds()), 0)
