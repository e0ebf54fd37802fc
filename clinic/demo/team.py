"""The demo team: six invented coordinators who own the demo leads, and the one password anyone
trying the app signs in as them with.

The password is known on purpose (`make run` prints it, the README gives it) so that a newcomer
can open a coordinator's Today without the shell. It is never set in production, and a
production `make run` refuses to start while a demo account still signs in with it.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from clinic.demo.timeline import Coordinator
from clinic.extensions import db
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
        elif reset_passwords and not accounts.password_matches(user, DEMO_PASSWORD):
            accounts.set_password(user, DEMO_PASSWORD, by=_BY)
        found.append(Coordinator(user.id, user.name))
    db.session.commit()
    return tuple(found)


def existing_coordinators() -> list[StaffUser]:
    """The demo coordinators this database has, in the team's order."""
    emails = [email for _, email in DEMO_COORDINATORS]
    users = db.session.execute(select(StaffUser).where(StaffUser.email.in_(emails))).scalars()
    by_email = {user.email: user for user in users}
    return [by_email[email] for email in emails if email in by_email]


def with_demo_password(users: list[StaffUser]) -> list[StaffUser]:
    """Those of ``users`` who are active and still sign in with the demo password."""
    return [
        user for user in users if user.active and accounts.password_matches(user, DEMO_PASSWORD)
    ]
