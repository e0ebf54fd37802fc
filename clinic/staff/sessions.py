"""How long a staff session lives: an idle limit and an absolute limit, checked on every staff page.

A screen left open on a front-desk computer must not stay signed in, and a stolen cookie must not
work for ever. The times live in the signed session cookie; the per-user token checked by the
user loader (see auth.py) handles sign-out, password changes and deactivation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from clinic.models import utcnow
from clinic.staff import bp

SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN_AT = "staff_last_seen_at"
EXPIRED_MESSAGE = "Your session expired — please sign in again."


def session_expired(
    signed_in_at: datetime | None,
    last_seen_at: datetime | None,
    now: datetime,
    *,
    idle: timedelta,
    max_age: timedelta,
) -> bool:
    """True when the session was idle too long, is older than `max_age`, or has no times at all."""
    if signed_in_at is None or last_seen_at is None:
        return True
    return now - last_seen_at >= idle or now - signed_in_at >= max_age


def _stored_time(key: str) -> datetime | None:
    value = session.get(key)
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def start_session(now: datetime) -> None:
    """Stamp a fresh sign-in: both limits count from here."""
    session[SIGNED_IN_AT] = now.timestamp()
    session[LAST_SEEN_AT] = now.timestamp()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (
        timedelta(minutes=int(config["STAFF_IDLE_MINUTES"])),
        timedelta(hours=int(config["STAFF_MAX_SESSION_HOURS"])),
    )


def _return_path() -> str | None:
    """Where to come back to after signing in again: the page asked for, if it can be re-asked."""
    if request.method not in {"GET", "HEAD"}:
        return None
    return request.full_path.rstrip("?")


@bp.before_request
def enforce_session_limits():
    """Sign out a staff session past its idle or absolute limit; otherwise note this visit."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    idle, max_age = _limits()
    if session_expired(
        _stored_time(SIGNED_IN_AT), _stored_time(LAST_SEEN_AT), now, idle=idle, max_age=max_age
    ):
        logout_user()
        session.clear()
        flash(EXPIRED_MESSAGE, "info")
        return redirect(url_for("staff.login", next=_return_path()))
    session[LAST_SEEN_AT] = now.timestamp()
    return None
