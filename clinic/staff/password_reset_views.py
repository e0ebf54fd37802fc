"""Forgotten passwords: asking for a link on the sign-in page, then choosing a new password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from clinic.database import write_transaction
from clinic.limits import limit_password_resets
from clinic.models import utcnow
from clinic.staff import accounts, bp, password_reset
from clinic.staff.auth import open_to_editors
from clinic.staff.forms import ForgotPasswordForm, ResetPasswordForm

# Where the session keeps the emailed token once the link has been opened (see reset_password).
LINK_IN_SESSION = "staff_reset_link"
LINK_SENT = (
    "If that address belongs to a staff account, we have emailed it a link to choose a new "
    "password. The link works once, within 30 minutes. Nothing arrived after a few minutes? "
    "Check the address you typed, or ask an admin."
)
RESET_DONE = (
    "Your password has been changed and your account has been signed out everywhere. "
    "Sign in with the new password."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limit_password_resets
@open_to_editors
def forgot_password():
    """The same answer whether or not the email belongs to anyone (see password_reset)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with write_transaction():
            password_reset.request_link(form.email.data, now=utcnow())
        flash(LINK_SENT, "info")
        return redirect(url_for("staff.login"))
    status = 400 if form.errors else 200
    return render_template("staff/forgot_password.html", form=form), status


def _link_expired():
    session.pop(LINK_IN_SESSION, None)
    return render_template("staff/reset_password_expired.html"), 400


@bp.route("/reset-password", methods=["GET", "POST"])
@limit_password_resets
@open_to_editors
def reset_password():
    """Choose a new password with an emailed link.

    Opening the link moves its token into the session and reloads the page without it, so the
    token doesn't stay in the address bar or the history, or travel in a Referer header.
    Opening it doesn't use it up (mail scanners open links too): setting the password does.
    """
    if "token" in request.args:
        session[LINK_IN_SESSION] = request.args["token"]
        return redirect(url_for("staff.reset_password"))
    token = session.get(LINK_IN_SESSION) or ""
    now = utcnow()
    user = password_reset.account_for(token, now)
    if user is None:
        return _link_expired()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                password_reset.reset_password(token, form.password.data, now=now)
        except password_reset.InvalidLink:
            return _link_expired()
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            session.clear()
            flash(RESET_DONE, "success")
            return redirect(url_for("staff.login"))
    status = 400 if form.errors else 200
    return render_template("staff/reset_password.html", form=form, email=user.email), status
