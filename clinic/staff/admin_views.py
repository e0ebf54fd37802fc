"""Admin pages: staff accounts (/staff/users) and the audit log (/staff/audit)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import StaffUser
from clinic.staff import accounts, audit_log, bp, password_reset, sign_in_throttle
from clinic.staff.auth import admin_required
from clinic.staff.forms import (
    AuditFilterForm,
    CreateUserForm,
    EmptyForm,
    ReviewerForm,
    RoleForm,
)


def _staff_user_or_404(user_id: int) -> StaffUser:
    return db.get_or_404(StaffUser, user_id)


def _acting_admin() -> StaffUser:
    return current_user._get_current_object()


@bp.get("/users")
@admin_required
def users():
    return render_template("staff/users.html", users=accounts.list_users(), button_form=EmptyForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                user = accounts.create_user(
                    form.email.data,
                    form.name.data,
                    form.role.data,
                    form.password.data,
                    by=_acting_admin(),
                )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            flash(f"Account created for {user.name}.", "success")
            return redirect(url_for("staff.user_detail", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template("staff/users_new.html", form=form), status


@bp.get("/users/<id:user_id>")
@admin_required
def user_detail(user_id: int, reviewer_form: ReviewerForm | None = None):
    user = _staff_user_or_404(user_id)
    role_form = RoleForm(role=user.role)
    key = sign_in_throttle.email_key(user.email)
    policy = sign_in_throttle.SignInPolicy.from_config(current_app.config)
    return render_template(
        "staff/users_detail.html",
        user=user,
        role_form=role_form,
        reviewer_form=reviewer_form
        or ReviewerForm(
            reviewer=user.is_clinical_reviewer, degree=user.degree, specialty=user.specialty
        ),
        button_form=EmptyForm(),
        failures=sign_in_throttle.recent_failures(key, clock.now(), policy),
        can_unlock=sign_in_throttle.has_counting_failures(key),
    )


def _apply(user_id: int, change, success: str, *, back: str | None = None):
    """Run one account change for the admin, then show the account (or ``back``) again with
    what happened; ``success`` may name the person's {name} and {email}."""
    try:
        with write_transaction():
            user = _staff_user_or_404(user_id)
            change(user)
    except accounts.AccountError as error:
        flash(str(error), "error")
    else:
        flash(success.format(name=user.name, email=user.email), "success")
        if user.id == current_user.id:
            return _after_changing_yourself(user, back)
    return redirect(back or url_for("staff.user_detail", user_id=user_id))


def _after_changing_yourself(user: StaffUser, back: str | None = None):
    """An admin who stepped down lands on a page they may still see, not on a 403."""
    if not user.active:
        logout_user()
        return redirect(url_for("staff.login"))
    login_user(user)  # the session token may have been rotated; keep this browser signed in
    if not user.is_admin:
        return redirect(url_for("staff.home"))
    return redirect(back or url_for("staff.user_detail", user_id=user.id))


@bp.post("/users/<id:user_id>/role")
@admin_required
def user_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role from the list.", "error")
        return redirect(url_for("staff.user_detail", user_id=user_id))
    by = _acting_admin()
    return _apply(
        user_id,
        lambda user: accounts.change_role(user, form.role.data, by=by),
        "{name} is now " + ROLE_WORDS.get(form.role.data, "a coordinator."),
    )


@bp.post("/users/<id:user_id>/reviewer")
@admin_required
def user_reviewer(user_id: int):
    """Mark a clinical reviewer, with the degree and specialty their bylines show."""
    form = ReviewerForm()
    if not form.validate_on_submit():
        return user_detail(user_id, reviewer_form=form), 400
    by = _acting_admin()
    try:
        with write_transaction():
            user = _staff_user_or_404(user_id)
            accounts.set_clinical_reviewer(
                user, form.reviewer.data, form.degree.data, form.specialty.data, by=by
            )
    except accounts.AccountError as error:
        getattr(form, error.field or "reviewer").errors.append(str(error))
        return user_detail(user_id, reviewer_form=form), 400
    if user.is_clinical_reviewer:
        flash(f"{user.credentials} may now approve medical pages.", "success")
    else:
        flash(f"{user.name} no longer approves medical pages.", "success")
    return redirect(url_for("staff.user_detail", user_id=user_id))


ROLE_WORDS = {"admin": "an admin.", "coordinator": "a coordinator.", "editor": "an editor."}

ACCESS_CHANGES = {
    "deactivate": (
        accounts.deactivate_user,
        "{name} can no longer sign in; their sessions have ended.",
    ),
    "reactivate": (accounts.reactivate_user, "{name} can sign in again."),
}


@bp.post("/users/<id:user_id>/<any(deactivate, reactivate):change>")
@admin_required
def user_access(user_id: int, change: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    by = _acting_admin()
    action, success = ACCESS_CHANGES[change]
    return _apply(user_id, lambda user: action(user, by=by), success)


@bp.post("/users/<id:user_id>/unlock")
@admin_required
def user_unlock(user_id: int):
    """Clear the account's failed sign-ins: every address may try again at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    by = _acting_admin()
    return _apply(
        user_id,
        lambda user: accounts.unlock_sign_in(user, by=by),
        "Sign-in unlocked for {name}: every address may try again at once.",
    )


@bp.post("/users/<id:user_id>/send-reset-link")
@admin_required
def user_send_reset_link(user_id: int):
    """The same emailed link as "Forgot your password?"; the admin never learns the password.
    Sent from the list of accounts or from the person's page, and back to where it was sent."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    by = _acting_admin()
    back = url_for("staff.users") if request.form.get("from") == "users" else None
    return _apply(
        user_id,
        lambda user: password_reset.send_link(user, now=clock.now(), by=by),
        "A password-reset link is on its way to {name} at {email}; it works once, within "
        "30 minutes, and nobody else sees the new password.",
        back=back,
    )


EXPORT_CHANGES = {
    "allow": (True, "{name} may now export patients' details."),
    "stop": (False, "{name} can no longer export patients' details."),
}


@bp.post("/users/<id:user_id>/export/<any(allow, stop):change>")
@admin_required
def user_export(user_id: int, change: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    by = _acting_admin()
    allowed, success = EXPORT_CHANGES[change]
    return _apply(
        user_id, lambda user: accounts.set_export_permission(user, allowed, by=by), success
    )


def _filters_from(form: AuditFilterForm) -> audit_log.AuditFilters:
    return audit_log.AuditFilters(
        action=form.action.data or None,
        actor_email=form.actor.data or None,
        lead_id=int(form.lead.data) if form.lead.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdecimal() and len(value) <= 18 else None


@bp.get("/audit")
@admin_required
def audit():
    """The audit log, newest first; the filters live in the query string so views can be shared."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    page = None
    if valid:
        page = audit_log.find_entries(
            _filters_from(form),
            older_than=_cursor("before"),
            newer_than=_cursor("after"),
        )
    filter_args = {
        name: value
        for name, value in request.args.items()
        if name in form._fields and value.strip()
    }
    return render_template(
        "staff/audit.html",
        form=form,
        page=page,
        filter_args=filter_args,
        actions=audit_log.known_actions(),
        staff_emails=[user.email for user in accounts.list_users()],
    ), (200 if valid else 400)
