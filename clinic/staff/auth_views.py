"""Sign-in, sign-out and a person's own account page."""

from __future__ import annotations

from math import ceil
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from clinic.database import write_transaction
from clinic.limits import limit_sign_ins
from clinic.models import utcnow
from clinic.staff import accounts, bp
from clinic.staff.forms import ChangePasswordForm, EmptyForm, LoginForm
from clinic.staff.sessions import start_session
from clinic.templating import local_time

SIGN_IN_FAILED = "That email address and password don't match an active account."


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    return target


def _locked_response(form: LoginForm, locked_until):
    wait_minutes = max(1, ceil((locked_until - utcnow()).total_seconds() / 60))
    flash(
        "This account is temporarily locked after too many failed sign-in attempts. "
        f"Try again after {local_time(locked_until, '%H:%M')} "
        f"({current_app.config['CLINIC_TIMEZONE']}), in about {wait_minutes} minutes, "
        "or ask an admin to reset the password.",
        "error",
    )
    response = current_app.make_response((render_template("staff/login.html", form=form), 429))
    response.headers["Retry-After"] = str(wait_minutes * 60)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_ins
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        policy = accounts.LockoutPolicy.from_config(current_app.config)
        with write_transaction():
            outcome = accounts.authenticate(
                form.email.data, form.password.data, now=now, policy=policy
            )
        if outcome.user is not None:
            session.clear()
            login_user(outcome.user)
            start_session(now)
            return redirect(safe_next(request.args.get("next")) or url_for("staff.home"))
        if outcome.locked_until is not None:
            return _locked_response(form, outcome.locked_until)
        flash(SIGN_IN_FAILED, "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        with write_transaction():
            accounts.sign_out(current_user._get_current_object())
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("staff.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Change your own password; every other session of yours ends, this one carries on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            with write_transaction():
                accounts.change_own_password(user, form.current_password.data, form.password.data)
        except accounts.AccountError as error:
            getattr(form, error.field or "password").errors.append(str(error))
        else:
            login_user(user)  # the new session token, so this browser stays signed in
            flash(
                "Your password has been changed. Any other sessions have been signed out.",
                "success",
            )
            return redirect(url_for("staff.account"))
    status = 400 if form.errors else 200
    return render_template("staff/account.html", form=form), status
