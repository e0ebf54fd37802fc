"""Availability: each person's weekly hours per kind of consultation, their time off and extra
hours, their private calendar feed, and the clinic's booking rules (admins).

Everyone edits their own (/staff/availability); admins edit anyone's (/staff/availability/<id>).
Every POST carries the CSRF token (CSRFProtect checks it for the whole app). A feed's address
is shown once, in the answer to the POST that made it (never in a redirect or
the session), and only to its owner; an admin may stop anyone's.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import availability, calendar_feed
from clinic.leads.availability import AvailabilityError
from clinic.models import StaffUser
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.availability_forms import (
    BookingSettingsForm,
    ExceptionForm,
    WeeklyHoursForm,
)


@bp.route("/availability", methods=["GET", "POST"])
@login_required
def my_availability():
    return _availability(current_user._get_current_object())


@bp.route("/availability/<id:user_id>", methods=["GET", "POST"])
@login_required
def availability_of(user_id: int):
    return _availability(_person(user_id))


def _person(user_id: int) -> StaffUser:
    """The person whose availability is edited: oneself, or anyone for an admin."""
    if user_id != current_user.id and not current_user.is_admin:
        abort(403)
    person = db.session.get(StaffUser, user_id)
    if person is None or person.is_editor:
        abort(404)
    return person


def _self_path(person: StaffUser) -> str:
    if person.id == current_user.id:
        return url_for("staff.my_availability")
    return url_for("staff.availability_of", user_id=person.id)


def _availability(person: StaffUser):
    form = WeeklyHoursForm(prefix="hours")
    if request.method == "POST":
        ranges = form.ranges() if form.validate_on_submit() else None
        if ranges is None:
            return _page(person, hours_form=form), 400
        try:
            with write_transaction():
                for kind, kind_ranges in ranges.items():
                    availability.replace_weekly_hours(
                        person, kind, kind_ranges, current_user._get_current_object()
                    )
        except AvailabilityError as error:
            return _page(person, hours_form=form, notice=str(error)), 400
        flash("Weekly hours saved.", "success")
        return redirect(_self_path(person))
    form.fill_from(availability.weekly_hours(person.id))
    return _page(person, hours_form=form)


@bp.post("/availability/<id:user_id>/exceptions")
@login_required
def availability_exception_add(user_id: int):
    person = _person(user_id)
    form = ExceptionForm(prefix="exception")
    if not form.validate_on_submit():
        return _page(person, exception_form=form), 400
    starts_at, ends_at = form.instants()
    try:
        with write_transaction():
            availability.add_exception(
                person,
                kind=form.kind.data,
                starts_at=starts_at,
                ends_at=ends_at,
                kinds=form.kinds.data or [],
                location=form.location.data,
                note=form.note.data,
                actor=current_user._get_current_object(),
            )
    except AvailabilityError as error:
        return _page(person, exception_form=form, exception_notice=str(error)), 400
    words = "Time off" if form.kind.data == "off" else "Extra hours"
    flash(f"{words} added.", "success")
    return redirect(_self_path(person) + "#exceptions")


@bp.post("/availability/<id:user_id>/exceptions/<id:exception_id>/remove")
@login_required
def availability_exception_remove(user_id: int, exception_id: int):
    person = _person(user_id)
    with write_transaction():
        removed = availability.remove_exception(
            person, exception_id, current_user._get_current_object()
        )
    if removed is None:
        abort(404)
    flash("Removed.", "success")
    return redirect(_self_path(person) + "#exceptions")


@bp.post("/availability/feed")
@login_required
def calendar_feed_create():
    """A new private feed address for the signed-in person, shown on this answer only."""
    person = current_user._get_current_object()
    with write_transaction():
        token = calendar_feed.create_feed(person, person)
    feed_url = url_for("calendar_feed.feed", token=token, _external=True)
    return _page(person, new_feed_url=feed_url)


@bp.post("/availability/<id:user_id>/feed/revoke")
@login_required
def calendar_feed_revoke(user_id: int):
    person = _person(user_id)
    with write_transaction():
        stopped = calendar_feed.revoke_feed(person, current_user._get_current_object())
    if stopped:
        flash("The calendar feed address no longer works.", "success")
    else:
        flash("There was no calendar feed to stop.", "success")
    return redirect(_self_path(person) + "#calendar-feed")


def _page(
    person: StaffUser,
    *,
    hours_form=None,
    exception_form=None,
    notice: str | None = None,
    exception_notice: str | None = None,
    new_feed_url: str | None = None,
):
    if hours_form is None:
        hours_form = WeeklyHoursForm(prefix="hours", formdata=None)
        hours_form.fill_from(availability.weekly_hours(person.id))
    if exception_form is None:
        exception_form = ExceptionForm(prefix="exception", formdata=None)
        today = clock.today()
        exception_form.starts_on.data = today
        exception_form.ends_on.data = today
    now = clock.now()
    return render_template(
        "staff/availability/edit.html",
        person=person,
        own=person.id == current_user.id,
        hours_form=hours_form,
        exception_form=exception_form,
        notice=notice,
        exception_notice=exception_notice,
        exceptions=[
            (each, availability.describe_exception(each))
            for each in availability.exceptions_for(person.id, now)
        ],
        kinds=APPOINTMENT_KINDS,
        feed=calendar_feed.active_feed(person.id),
        new_feed_url=new_feed_url,
        people=availability.hosts() if current_user.is_admin else [],
        zone=clock.zone().key,
    )


@bp.route("/settings/booking", methods=["GET", "POST"])
@admin_required
def booking_settings():
    form = BookingSettingsForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _settings_page(form), 400
        try:
            with write_transaction():
                availability.save_booking_settings(
                    form.settings(), current_user._get_current_object()
                )
        except AvailabilityError as error:
            return _settings_page(form, notice=str(error)), 400
        flash("Booking settings saved.", "success")
        return redirect(url_for("staff.booking_settings"))
    form.fill_from(availability.booking_settings())
    return _settings_page(form)


def _settings_page(form: BookingSettingsForm, notice: str | None = None):
    return render_template("staff/availability/booking_settings.html", form=form, notice=notice)
