"""Two-step sign-in pages: the code asked for after the password, setting it up, recovery codes,
switching it off, and an admin's reset.

After the password, the person is *not* signed in: the session only notes who is waiting for a
code (and until when), so no staff page opens before the code is accepted. Someone the
STAFF_REQUIRE_2FA policy covers who hasn't set it up yet is signed in, but every staff page
except setting it up (and signing out) sends them to the setup page first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

import segno
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.limits import limit_sign_ins
from clinic.models import StaffUser, utcnow
from clinic.profile import current_profile
from clinic.staff import bp, two_factor
from clinic.staff.auth import admin_required, load_user, open_to_editors
from clinic.staff.forms import EmptyForm
from clinic.staff.sessions import start_session
from clinic.staff.two_factor_forms import ConfirmSetupForm, ProofForm, SignInCodeForm
from clinic.templating import local_time

PENDING = "two_factor_pending"
# Wrong codes allowed per accepted password; then the password is asked for again. This count
# lives in the session cookie, which a guesser could replay: the account's own count, kept in
# the database (two_factor.check_sign_in_code), is the one that holds.
WRONG_CODES_PER_PASSWORD = 5
# What someone who must set up two-step sign-in may still open.
SETUP_ENDPOINTS = {"staff.two_factor_setup", "staff.two_factor_start", "staff.logout"}
CODE_REFUSED = "That code doesn't match. Type the code your app shows now, or a recovery code."
# The light border a QR code needs around it to scan, in modules (the standard asks for four).
QR_QUIET_ZONE = 4
SIGN_IN_AGAIN = (
    "Please sign in again: the code must follow the password within "
    f"{int(two_factor.PENDING_LIFETIME.total_seconds() // 60)} minutes."
)


def _setting() -> str:
    return current_app.config["STAFF_REQUIRE_2FA"]


def _me() -> StaffUser:
    return current_user._get_current_object()


@bp.app_template_global()
def two_factor_summary(user: StaffUser) -> two_factor.Summary:
    return two_factor.summary(user, _setting())


@bp.app_template_global()
def two_factor_user_ids() -> set[int]:
    return two_factor.enabled_user_ids()


# --- the code step of signing in ---------------------------------------------------------------


def ask_for_code(user: StaffUser, now: datetime, next_path: str | None) -> Response:
    """After an accepted password: remember who waits for their code, and ask for it.

    Called by the sign-in view instead of signing the person in.
    """
    session[PENDING] = {"user": user.get_id(), "at": now.timestamp(), "next": next_path}
    return redirect(url_for("staff.two_factor_code"))


def _pending() -> dict:
    pending = session.get(PENDING)
    return pending if isinstance(pending, dict) else {}


def _pending_user(now: datetime) -> StaffUser | None:
    """The person whose password was accepted, while the wait lasts and their account holds."""
    pending = _pending()
    started = pending.get("at")
    started_at = datetime.fromtimestamp(started, UTC) if isinstance(started, int | float) else None
    if two_factor.pending_expired(started_at, now) or not isinstance(pending.get("user"), str):
        return None
    return load_user(pending["user"])


def _back_to_password(message: str, category: str = "info") -> Response:
    session.pop(PENDING, None)
    flash(message, category)
    return redirect(url_for("staff.login"))


def _locked(until: datetime) -> Response:
    return _back_to_password(
        "Sign-in codes for this account are refused for a while after too many wrong ones. "
        f"Try again after {local_time(until, '%H:%M')} "
        f"({clock.zone().key}), or ask an admin to reset your two-step "
        "sign-in.",
        "error",
    )


def _signed_in(user: StaffUser, now: datetime, check: two_factor.CodeCheck) -> Response:
    next_path = _pending().get("next")
    session.clear()
    login_user(user)
    start_session(now)
    if check.recovery_code_used:
        flash(
            f"You signed in with a recovery code; it won't work again. You have "
            f"{check.recovery_codes_left} left: make new ones from your account page.",
            "warning",
        )
    return redirect(next_path or url_for("staff.home"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limit_sign_ins
@open_to_editors
def two_factor_code():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    now = utcnow()
    user = _pending_user(now)
    if user is None:
        return _back_to_password(SIGN_IN_AGAIN)
    form = SignInCodeForm()
    if form.validate_on_submit():
        with write_transaction():
            check = two_factor.check_sign_in_code(user, form.code.data, now=now)
        if check.accepted:
            return _signed_in(user, now, check)
        if check.locked_until is not None:
            return _locked(check.locked_until)
        wrong = int(_pending().get("wrong", 0)) + 1
        if wrong >= WRONG_CODES_PER_PASSWORD:
            return _back_to_password("Too many wrong codes. Sign in again.", "error")
        session[PENDING] = {**_pending(), "wrong": wrong}
        form.code.data = ""  # a refused code is of no use to retype
        form.code.errors.append(CODE_REFUSED)
        return render_template("staff/two_factor_code.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("staff/two_factor_code.html", form=form), status


# --- required set-up ---------------------------------------------------------------------------


@bp.before_request
def require_setup():
    """Someone the policy covers sets up two-step sign-in before any other staff page opens."""
    if not current_user.is_authenticated or request.endpoint in SETUP_ENDPOINTS:
        return None
    if two_factor.must_enrol(_me(), _setting()):
        return redirect(url_for("staff.two_factor_setup"))
    return None


# --- setting it up -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QrDrawing:
    """A QR code as the template draws it in SVG: `size` modules square, dark ones in `path`."""

    size: int
    path: str


def _qr_drawing(uri: str) -> QrDrawing:
    """Drawn on the server as plain numbers for an SVG path, so the page needs no script and
    no markup is trusted: the template escapes the path like any other value."""
    rows = list(segno.make(uri, error="m").matrix_iter(scale=1, border=QR_QUIET_ZONE))
    runs = []
    for y, row in enumerate(rows):
        for dark, group in groupby(enumerate(row), key=lambda module: bool(module[1])):
            modules = list(group)
            if dark:
                runs.append(f"M{modules[0][0]} {y}h{len(modules)}v1h-{len(modules)}z")
    return QrDrawing(size=len(rows), path="".join(runs))


def _setup_page(user: StaffUser, form: ConfirmSetupForm, status: int = 200):
    """Set-up not started: what it is and a start button. Started: the QR code and its text."""
    secret = two_factor.pending_secret(user)
    qr_code = None
    if secret:
        issuer = current_profile().name
        qr_code = _qr_drawing(two_factor.provisioning_uri(secret, user.email, issuer))
    return render_template(
        "staff/two_factor_setup.html",
        form=form,
        start_form=EmptyForm(),
        required=two_factor.is_required(user, _setting()),
        secret=two_factor.group_for_reading(secret) if secret else None,
        qr_code=qr_code,
    ), status


def _recovery_codes_page(codes: list[str], continue_to: str):
    return render_template(
        "staff/two_factor_recovery_codes.html", codes=codes, continue_to=continue_to
    )


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@open_to_editors
def two_factor_setup():
    """Show the QR code of the secret being set up; switch it on with a current code."""
    user = _me()
    if two_factor.is_enabled(user):
        flash("Two-step sign-in is already on for your account.", "info")
        return redirect(url_for("staff.account"))
    form = ConfirmSetupForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                codes = two_factor.confirm_enrolment(user, form.code.data, utcnow())
        except two_factor.TwoFactorError as error:
            getattr(form, error.field or "code").errors.append(str(error))
        else:
            login_user(user)  # its session token was rotated; this browser stays signed in
            flash(
                "Two-step sign-in is on. Other sessions of yours have been signed out.", "success"
            )
            return _recovery_codes_page(codes, url_for("staff.account"))
    return _setup_page(user, form, 400 if form.errors else 200)


@bp.post("/two-factor/start")
@login_required
@open_to_editors
def two_factor_start():
    """A fresh secret to scan (a button, because it replaces one not yet confirmed)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            two_factor.start_enrolment(_me())
    except two_factor.TwoFactorError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.account"))
    return redirect(url_for("staff.two_factor_setup"))


# --- recovery codes and switching it off -------------------------------------------------------


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
@limit_sign_ins  # the form checks a password: no faster guessing here than at sign-in
@open_to_editors
def two_factor_recovery_codes():
    """Ten new recovery codes for someone who used or lost theirs; the old ones stop working."""
    form = ProofForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                codes = two_factor.new_recovery_codes(_me(), form.proof.data, utcnow())
        except two_factor.TwoFactorError as error:
            getattr(form, error.field or "proof").errors.append(str(error))
        else:
            flash("New recovery codes made; the old ones no longer work.", "success")
            return _recovery_codes_page(codes, url_for("staff.account"))
    status = 400 if form.errors else 200
    return render_template("staff/two_factor_recovery_codes_new.html", form=form), status


@bp.route("/two-factor/turn-off", methods=["GET", "POST"])
@login_required
@limit_sign_ins  # the form checks a password: no faster guessing here than at sign-in
@open_to_editors
def two_factor_disable():
    """Switch it off with the password or a code, unless the person's role requires it."""
    user = _me()
    form = ProofForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                two_factor.disable(user, form.proof.data, now=utcnow(), setting=_setting())
        except two_factor.TwoFactorError as error:
            getattr(form, error.field or "proof").errors.append(str(error))
        else:
            flash("Two-step sign-in is off: you sign in with your password alone.", "success")
            return redirect(url_for("staff.account"))
    return render_template(
        "staff/two_factor_disable.html",
        form=form,
        required=two_factor.is_required(user, _setting()),
    ), (400 if form.errors else 200)


# --- an admin's reset --------------------------------------------------------------------------


@bp.post("/users/<id:user_id>/two-factor/reset")
@admin_required
def two_factor_reset(user_id: int):
    """For someone who lost their phone and their recovery codes: back to the password alone."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            user = db.get_or_404(StaffUser, user_id)
            two_factor.reset(user, by=_me())
    except two_factor.TwoFactorError as error:
        flash(str(error), "error")
    else:
        flash(
            f"Two-step sign-in reset for {user.name}: they sign in with their password and set "
            "it up again if their role requires it. Their sessions have ended.",
            "success",
        )
    return redirect(url_for("staff.user_detail", user_id=user_id))
