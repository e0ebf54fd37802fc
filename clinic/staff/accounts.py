"""Staff accounts: creating them, checking passwords, and ending their sessions."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from clinic.extensions import db
from clinic.models import StaffUser, utcnow
from clinic.models.staff import ROLES, new_session_token

MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A request about an account that can't be honoured; the message says why."""


def find_by_email(email: str) -> StaffUser | None:
    return db.session.execute(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    ).scalar_one_or_none()


def check_new_password(email: str, password: str) -> None:
    """:raise AccountError: when the password is too short or is the email address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if password.strip().lower() == email.strip().lower():
        raise AccountError("The password must not be the email address.")


def create_user(email: str, name: str, role: str, password: str) -> StaffUser:
    email = email.strip()
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    if find_by_email(email):
        raise AccountError(f"An account for {email} already exists.")
    check_new_password(email, password)
    user = StaffUser(
        email=email, name=name.strip(), role=role, password_hash=generate_password_hash(password)
    )
    db.session.add(user)
    db.session.flush()
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def end_sessions(user: StaffUser) -> None:
    """Rotate the session token: every cookie issued before now stops working."""
    user.session_token = new_session_token()


def set_password(user: StaffUser, password: str) -> None:
    check_new_password(user.email, password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def record_login(user: StaffUser) -> None:
    user.last_login_at = utcnow()
