"""Sign-in, sign-out and a person's own account page."""

from __future__ import annotations

from math import ceil
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from clinic import clock
from clinic.database import write_transaction
from clinic.limits import limit_sign_ins
from clinic.models import utcnow
from clinic.net import client_ip
from clinic.staff import accounts, bp, sign_in_throttle, two_factor
from clinic.staff.auth import open_to_editors
from clinic.staff.forms import ChangePasswordForm, EmptyForm, LoginForm
from clinic.staff.sessions import start_session
from clinic.staff.two_factor_views import ask_for_code
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


def _wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refused_response(form: LoginForm, refusal: sign_in_throttle.Refusal, now):
    """429 with the time to wait: the same for every email, known or not, so it reveals nothing."""
    wait = max(1, ceil((refusal.until - now).total_seconds()))
    if refusal.reason == sign_in_throttle.LOCKED:
        message = (
            "Too many failed sign-ins for this email address from this network. "
            f"Try again after {local_time(refusal.until, '%H:%M')} "
            f"({clock.zone().key}), in about {_wait_in_words(wait)}, "
            "or use “Forgot your password?” below to choose a new one."
        )
    else:
        message = (
            "There have been many failed sign-ins for this email address, so each new attempt "
            f"has to wait a little. Try again in {_wait_in_words(wait)}."
        )
    flash(message, "error")
    response = current_app.make_response((render_template("staff/login.html", form=form), 429))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_ins
@open_to_editors
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        outcome = accounts.authenticate(
            form.email.data,
            form.password.data,
            address=client_ip(),
            now=now,
            policy=sign_in_throttle.SignInPolicy.from_config(current_app.config),
        )
        if outcome.user is not None:
            session.clear()
            if two_factor.is_enabled(outcome.user):
                return ask_for_code(outcome.user, now, safe_next(request.args.get("next")))
            login_user(outcome.user)
            start_session(now)
            return redirect(safe_next(request.args.get("next")) or url_for("staff.home"))
        if outcome.refused is not None:
            return _refused_response(form, outcome.refused, now)
        flash(SIGN_IN_FAILED, "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
@login_required
@open_to_editors
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
@open_to_editors
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
    failures = sign_in_throttle.recent_failures(
        sign_in_throttle.email_key(current_user.email),
        utcnow(),
        sign_in_throttle.SignInPolicy.from_config(current_app.config),
    )
    return render_template("staff/account.html", form=form, failures=failures), status
