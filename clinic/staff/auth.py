"""How a staff request is recognised: the user loader and the role checks.

Editors keep the pages and must never see a patient's details. New staff pages show patient data
more often than not, so the rule is deny by default: `refuse_editors` (run before every staff
view) answers 403 to an editor unless the view is marked `@open_to_editors`.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from clinic.extensions import db, login_manager
from clinic.models import StaffUser
from clinic.staff import bp

# Names of the staff views an editor may open (sign-in, their account, the content pages).
_OPEN_TO_EDITORS: set[str] = set()


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


def open_to_editors(view):
    """Mark a staff view as free of patient data, so editors may open it."""
    _OPEN_TO_EDITORS.add(view.__name__)
    return view


def editor_may_open(endpoint: str | None) -> bool:
    return bool(endpoint) and endpoint.removeprefix("staff.") in _OPEN_TO_EDITORS


@bp.before_request
def refuse_editors():
    """403 for an editor on any staff view not marked `@open_to_editors` (patient data)."""
    if (
        current_user.is_authenticated
        and not current_user.sees_patient_data
        and not editor_may_open(request.endpoint)
    ):
        abort(403)


def reviewer_required(view):
    """Signed-in clinical reviewers only (an admin marks them); anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_clinical_reviewer:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
