"""Sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from clinic import audit
from clinic.extensions import db
from clinic.staff import accounts, bp
from clinic.staff.forms import EmptyForm, LoginForm

SIGN_IN_FAILED = "That email address and password don't match an active account."


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data)
        if user and user.active and accounts.password_matches(user, form.password.data):
            session.clear()
            login_user(user)
            accounts.record_login(user)
            audit.record("sign_in", actor=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("staff.home"))
        audit.record("sign_in_failed", actor_email=form.email.data[:320])
        db.session.commit()
        flash(SIGN_IN_FAILED, "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        user = current_user._get_current_object()
        accounts.end_sessions(user)
        audit.record("sign_out", actor=user)
        db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("staff.login"))
