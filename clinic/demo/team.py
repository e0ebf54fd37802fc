"""The demo team: six invented coordinators who own the demo leads and hold consultations, an
editor and a clinical reviewer who keep the pages, and the one password anyone trying the app
signs in as them with.

The password is known on purpose (`make run` prints it, the README gives it) so that a newcomer
can open a coordinator's Today without the shell. It is never set in production, and a
production `make run` refuses to start while a demo account still signs in with it.
"""

from __future__ import annotations

from datetime import time

from flask import current_app
from sqlalchemy import select

from clinic.demo.timeline import Coordinator
from clinic.extensions import db
from clinic.leads import availability
from clinic.models import StaffUser
from clinic.staff import accounts

DEMO_COORDINATORS = (
    ("Amara Okafor", "amara.okafor@example.org"),
    ("Diego Ramírez", "diego.ramirez@example.org"),
    ("Mei Lin", "mei.lin@example.org"),
    ("Sarah Cohen", "sarah.cohen@example.org"),
    ("Tomasz Nowak", "tomasz.nowak@example.org"),
    ("Priya Raman", "priya.raman@example.org"),
)
# (name, email, degree, specialty): the editor writes, the reviewer (a physician) approves.
DEMO_EDITOR = ("Jordan Blake", "jordan.blake@example.org", None, None)
DEMO_REVIEWER = ("Hannah Weiss", "hannah.weiss@example.org", "MD", "Rheumatology")
# Consultation hours each demo coordinator offers, so patients can book themselves in the demo:
# calls on weekdays, video on Tuesday and Thursday afternoons.
DEMO_HOURS = (
    ("phone", tuple(range(5)), time(9, 0), time(12, 0)),
    ("video", (1, 3), time(13, 0), time(17, 0)),
)
DEMO_PASSWORD = "try-the-demo"  # noqa: S105 (known on purpose, and never set in production)
_BY = "demo coordinators (development)"


class DemoAccountsRefused(RuntimeError):
    """Demo accounts, and their known password, never exist in production."""


def ensure_coordinators(*, reset_passwords: bool = False) -> tuple[Coordinator, ...]:
    """The demo coordinators, created with the demo password where missing; with
    ``reset_passwords``, those that exist get it back too (their sessions end).

    :raise DemoAccountsRefused: in production.
    """
    if current_app.config.get("CLINIC_ENV") == "production":
        raise DemoAccountsRefused("Demo accounts are never created in production.")
    found = []
    for name, email in DEMO_COORDINATORS:
        user = accounts.find_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, "coordinator", DEMO_PASSWORD, by=_BY)
            db.session.flush()
            _offer_demo_hours(user)
        elif reset_passwords and not accounts.password_matches(user, DEMO_PASSWORD):
            accounts.set_password(user, DEMO_PASSWORD, by=_BY)
        found.append(Coordinator(user.id, user.name))
    for name, email, degree, specialty in (DEMO_EDITOR, DEMO_REVIEWER):
        user = accounts.find_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, "editor", DEMO_PASSWORD, by=_BY)
            if degree:
                accounts.set_clinical_reviewer(user, True, degree, specialty, by=_BY)
        elif reset_passwords and not accounts.password_matches(user, DEMO_PASSWORD):
            accounts.set_password(user, DEMO_PASSWORD, by=_BY)
    db.session.commit()
    return tuple(found)


def _offer_demo_hours(user: StaffUser) -> None:
    for kind, weekdays, start, end in DEMO_HOURS:
        ranges = [availability.HoursRange(day, start, end) for day in weekdays]
        availability.replace_weekly_hours(
            user, kind, ranges, None, weekdays=weekdays, actor_email=_BY
        )


def existing_coordinators() -> list[StaffUser]:
    """The demo coordinators this database has, in the team's order."""
    return _existing([email for _, email in DEMO_COORDINATORS])


def existing_content_team() -> list[StaffUser]:
    """The demo editor and clinical reviewer, where this database has them."""
    return _existing([DEMO_EDITOR[1], DEMO_REVIEWER[1]])


def existing_demo_accounts() -> list[StaffUser]:
    """Every demo account this database has: what production must not keep signing in."""
    return existing_coordinators() + existing_content_team()


def _existing(emails: list[str]) -> list[StaffUser]:
    users = db.session.execute(select(StaffUser).where(StaffUser.email.in_(emails))).scalars()
    by_email = {user.email: user for user in users}
    return [by_email[email] for email in emails if email in by_email]


def with_demo_password(users: list[StaffUser]) -> list[StaffUser]:
    """Those of ``users`` who are active and still sign in with the demo password."""
    return [
        user for user in users if user.active and accounts.password_matches(user, DEMO_PASSWORD)
    ]
