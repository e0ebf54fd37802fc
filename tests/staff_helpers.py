"""Helpers shared by the staff tests: make a staff account, sign a test client in like a browser.

Keep these signatures stable; several test modules import them.
"""

from __future__ import annotations

from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.staff import accounts
from tests.conftest import csrf_token_from

DEFAULT_PASSWORD = "a long enough password"  # noqa: S105  (test fixture, not a secret)


def make_staff(
    email: str = "coord@clinic.test",
    *,
    role: str = "coordinator",
    name: str = "Casey Coordinator",
    password: str = DEFAULT_PASSWORD,
) -> StaffUser:
    """Create and commit an active staff account; call it inside an app context.

    The returned user stays in the session with its columns loaded, so `user.id` and
    `user.email` stay readable after the app context ends. The commit would expire staff made
    earlier in the same context, so they are reloaded too.
    """
    if not has_app_context():
        raise RuntimeError("make_staff needs an app context: use the ctx fixture or app_context()")
    user = accounts.create_user(email, name, role, password)
    db.session.commit()
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, StaffUser):
            db.session.refresh(instance)
    return user


def csrf_token_for(client: FlaskClient, path: str) -> str:
    """The CSRF token a browser would find on `path` (the page must render a form)."""
    return csrf_token_from(client.get(path).get_data(as_text=True))


def sign_in(client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD) -> TestResponse:
    """Load the sign-in page, then post the form; returns the POST's response (not followed).

    A successful sign-in answers 302 to the staff home page; a refused one 401 with the form.
    """
    token = csrf_token_for(client, "/staff/login")
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    )
