"""How a staff request is recognised: the user loader and the role check."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from clinic.extensions import db, login_manager
from clinic.models import StaffUser


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """Accept a session only while its token matches the user's current one."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(StaffUser, int(raw_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def admin_required(view):
    """Signed-in admins only; a coordinator gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def export_required(view):
    """Signed-in staff an admin has allowed to export patients' details; anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.can_export:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
