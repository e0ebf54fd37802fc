"""Patients choosing, moving and cancelling their consultation through their personal link.

Thin views over clinic.leads.booking: every page works without JavaScript (booking.js only
tells the server the browser's time zone), lists free times as radio buttons grouped by day,
and says in which time zone the times are. A link that opens nothing says so in the same words
whatever the reason, so the page reveals nothing about anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import limiter
from clinic.leads import availability, booking
from clinic.models import Appointment
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.notify import booking_mail, reminders
from clinic.public import bp

DAYS_PER_PAGE = 5
BOOKING_SCOPE = "patient-booking"


def booking_limit() -> str:
    return current_app.config["RATELIMIT_BOOKING"]


limit_booking = limiter.limit(booking_limit, methods=["POST"], scope=BOOKING_SCOPE)


BOOKING_ENDPOINTS = {
    "public.book",
    "public.manage_booking",
    "public.change_booking",
    "public.cancel_booking",
    "public.renew_booking_link",
}


@bp.after_request
def _never_cached(response: Response) -> Response:
    # A booking page names a person's consultation, and its address is their key: no cache
    # (shared or the browser's) may keep it.
    if request.endpoint in BOOKING_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


@dataclass(frozen=True)
class TimeChoice:
    key: str
    label: str  # '9:00 am – 9:30 am'
    detail: str  # 'with Amara', 'at Room 2, with Amara'


@dataclass(frozen=True)
class DayChoices:
    heading: str  # 'Thursday 10 December'
    times: list[TimeChoice]


# Pages --------------------------------------------------------------------------------------


@bp.route("/book/<token>", methods=["GET", "POST"])
@limit_booking
def book(token: str):
    now = clock.now()
    try:
        lead, _ = booking.open_link(token, now=now)
    except booking.LinkError as error:
        return _link_problem(error, token)
    upcoming = booking.upcoming(lead.id, now)
    if upcoming is not None:
        return redirect(url_for("public.manage_booking", token=booking.manage_token(upcoming)))
    if request.method == "GET":
        return _choose_page(action=url_for("public.book", token=token), now=now)
    key = request.form.get("slot", "")
    zone_hint = booking.clean_timezone(request.form.get("tz"))
    if booking.parse_offer_key(key) is None:
        return _choose_page(
            action=url_for("public.book", token=token), now=now, problem="missing", status=422
        )
    try:
        with write_transaction():
            locked, _ = booking.open_link(token, now=now, for_update=True)
            appointment = booking.book_as_patient(locked, key, now=now, timezone_hint=zone_hint)
            booking_mail.queue_change(booking_mail.BOOKED, locked, appointment, now)
            manage = booking.manage_token(appointment)
    except booking.AlreadyBooked as already:
        return redirect(
            url_for("public.manage_booking", token=booking.manage_token(already.appointment))
        )
    except booking.SlotTaken:
        return _choose_page(
            action=url_for("public.book", token=token), now=now, problem="taken", status=409
        )
    except booking.LinkError as error:
        return _link_problem(error, token)
    except booking.BookingError as error:
        return _choose_page(
            action=url_for("public.book", token=token),
            now=now,
            problem="other",
            message=str(error),
            status=422,
        )
    flash("Your consultation is booked.", "success")
    return redirect(url_for("public.manage_booking", token=manage), code=303)


@bp.get("/booking/<token>")
def manage_booking(token: str):
    now = clock.now()
    try:
        lead, appointment = booking.open_link(token, now=now, manage=True)
    except booking.LinkError as error:
        return _link_problem(error, token, manage=True)
    assert appointment is not None  # noqa: S101 (open_link with manage gives one)
    zone = _zone(appointment.timezone_hint)
    book_again = None
    if appointment.status != "booked" or not booking.upcoming(lead.id, now):
        inquiry_id = booking.latest_inquiry_id(lead.id)
        if inquiry_id:
            book_again = url_for("public.book", token=booking.booking_token(lead.id, inquiry_id))
    return render_template(
        "public/booking/manage.html",
        token=token,
        appointment=appointment,
        when=booking_mail.describe(appointment, zone.key),
        changeable=appointment.status == "booked" and appointment.starts_at > now,
        over=booking.ends_at(appointment) <= now,
        emailed=bool(lead.email),
        book_again=book_again,
        tz_switch=_zone_switch(zone),
        zone_asked=booking.clean_timezone(request.args.get("tz"))
        or appointment.timezone_hint
        or "",
    )


def _changeable(token: str, now: datetime) -> tuple[Appointment | None, Response | None]:
    """The consultation a manage link names while it can still be moved or cancelled; otherwise
    None and the answer to give (the link's problem, or back to the booking's page)."""
    try:
        _, appointment = booking.open_link(token, now=now, manage=True)
    except booking.LinkError as error:
        return None, _link_problem(error, token, manage=True)
    if appointment is None or appointment.status != "booked" or appointment.starts_at <= now:
        return None, redirect(url_for("public.manage_booking", token=token))
    return appointment, None


@bp.route("/booking/<token>/change", methods=["GET", "POST"])
@limit_booking
def change_booking(token: str):
    now = clock.now()
    appointment, answer = _changeable(token, now)
    if appointment is None:
        return answer
    action = url_for("public.change_booking", token=token)
    current = booking_mail.describe(appointment, _zone(appointment.timezone_hint).key)
    if request.method == "GET":
        return _choose_page(action=action, now=now, current=current, manage_token=token)
    key = request.form.get("slot", "")
    if booking.parse_offer_key(key) is None:
        return _choose_page(
            action=action,
            now=now,
            current=current,
            manage_token=token,
            problem="missing",
            status=422,
        )
    try:
        with write_transaction():
            locked_lead, locked = booking.open_link(token, now=now, manage=True, for_update=True)
            assert locked is not None  # noqa: S101
            booking.reschedule_as_patient(
                locked,
                locked_lead,
                key,
                now=now,
                timezone_hint=request.form.get("tz") or None,
            )
            reminders.withdraw_pending(locked.id)
            booking_mail.queue_change(booking_mail.MOVED, locked_lead, locked, now)
    except booking.SlotTaken:
        return _choose_page(
            action=action,
            now=now,
            current=current,
            manage_token=token,
            problem="taken",
            status=409,
        )
    except booking.LinkError as error:
        return _link_problem(error, token, manage=True)
    except booking.BookingError as error:
        flash(str(error), "error")
        return redirect(url_for("public.manage_booking", token=token), code=303)
    flash("Your consultation has moved to the new time.", "success")
    return redirect(url_for("public.manage_booking", token=token), code=303)


@bp.route("/booking/<token>/cancel", methods=["GET", "POST"])
@limit_booking
def cancel_booking(token: str):
    now = clock.now()
    appointment, answer = _changeable(token, now)
    if appointment is None:
        return answer
    if request.method == "GET":
        zone = _zone(appointment.timezone_hint)
        return render_template(
            "public/booking/cancel.html",
            token=token,
            when=booking_mail.describe(appointment, zone.key),
        )
    try:
        with write_transaction():
            locked_lead, locked = booking.open_link(token, now=now, manage=True, for_update=True)
            assert locked is not None  # noqa: S101
            booking.cancel_as_patient(locked, locked_lead, now=now)
            reminders.withdraw_pending(locked.id)
            booking_mail.queue_change(booking_mail.CANCELLED, locked_lead, locked, now)
    except booking.LinkError as error:
        return _link_problem(error, token, manage=True)
    except booking.BookingError as error:
        flash(str(error), "error")
        return redirect(url_for("public.manage_booking", token=token), code=303)
    flash("Your consultation is cancelled.", "success")
    return redirect(url_for("public.manage_booking", token=token), code=303)


@bp.post("/book/<token>/renew")
@limit_booking
def renew_booking_link(token: str):
    """Email a fresh link for an expired one, to the address on file; the page says the same
    whatever happened."""
    now = clock.now()
    claims = _claims(token)
    if claims is not None:
        with write_transaction():
            lead = booking.lead_for_renewal(claims, now)
            if lead is not None:
                booking_mail.queue_fresh_link(lead, now)
    return render_template("public/booking/renewed.html")


# Helpers ------------------------------------------------------------------------------------


def _claims(token: str) -> booking.LinkClaims | None:
    for manage in (False, True):
        try:
            return booking.read_token(token, manage=manage)
        except booking.LinkInvalid:
            continue
    return None


def _link_problem(error: booking.LinkError, token: str, *, manage: bool = False) -> Response:
    expired = isinstance(error, booking.LinkExpired)
    body = render_template(
        "public/booking/link_problem.html",
        expired=expired,
        renew_url=url_for("public.renew_booking_link", token=token) if expired else None,
    )
    return Response(body, status=410 if expired else 404, mimetype="text/html")


def _zone(stored: str | None = None) -> ZoneInfo:
    """The zone the page shows times in: the one asked for (the browser's, sent by
    booking.js, or the clinic's when the patient picks it), else ``stored``, else the
    clinic's."""
    asked = booking.clean_timezone(request.values.get("tz"))
    return booking.patient_zone(asked or stored)


def _zone_switch(zone: ZoneInfo) -> dict[str, Any]:
    """Words and a link for the zone line: which zone the times are in, and the other one."""
    clinic_zone = clock.zone()
    return {
        "zone": booking.zone_words(zone),
        "is_clinic": zone.key == clinic_zone.key,
        "clinic_zone": booking.zone_words(clinic_zone),
        "clinic_key": clinic_zone.key,
        "clinic_url": _same_page(tz=clinic_zone.key, page=None),
    }


def _choose_page(
    *,
    action: str,
    now: datetime,
    problem: str | None = None,
    message: str | None = None,
    current: booking_mail.Described | None = None,
    manage_token: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    zone = _zone()
    settings = availability.booking_settings()
    kinds = booking.kinds_offered(now=now)
    asked_kind = request.values.get("kind")
    kind = asked_kind if asked_kind in kinds else (kinds[0] if len(kinds) == 1 else None)
    offers = booking.offers(now=now, kind=kind) if kind else []
    days = _by_day(offers, zone)
    page = _page_number(len(days))
    shown = days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    chosen = request.form.get("slot") if problem == "missing" else None
    page_url: Callable[[int], str] = lambda number: _same_page(page=number)  # noqa: E731
    return (
        render_template(
            "public/booking/choose.html",
            action=action,
            kinds=kinds,
            kind=kind,
            kind_names={key: booking_mail.KIND_WORDS[key] for key in APPOINTMENT_KINDS},
            days=shown,
            more_after=(page + 1) * DAYS_PER_PAGE < len(days),
            more_before=page > 0,
            page=page,
            page_url=page_url,
            horizon_days=settings.horizon_days,
            problem=problem,
            message=message,
            chosen=chosen,
            current=current,
            manage_token=manage_token,
            tz_switch=_zone_switch(zone),
            tz_value=booking.clean_timezone(request.values.get("tz")) or "",
        ),
        status,
    )


def _page_number(day_count: int) -> int:
    try:
        page = int(request.values.get("page", "0"))
    except ValueError:
        return 0
    last = max((day_count - 1) // DAYS_PER_PAGE, 0)
    return min(max(page, 0), last)


def _same_page(**changes: Any) -> str:
    args: dict[str, Any] = {
        key: request.values.get(key) for key in ("kind", "tz") if request.values.get(key)
    }
    args.update(changes)
    args = {key: value for key, value in args.items() if value is not None}
    return url_for(request.endpoint or "public.book", **(request.view_args or {}), **args)


def _by_day(offers: list[booking.Offer], zone: ZoneInfo) -> list[DayChoices]:
    single_hosts = [offer.host_ids[0] for offer in offers if len(offer.host_ids) == 1]
    names = booking.host_names(single_hosts)
    grouped: dict[date, list[TimeChoice]] = {}
    headings: dict[date, str] = {}
    for offer in offers:
        day = offer.starts_at.astimezone(zone).date()
        headings.setdefault(day, booking.day_words(offer.starts_at, zone))
        details = []
        if offer.kind == "in_person" and offer.location:
            details.append(f"at {offer.location}")
        if len(offer.host_ids) == 1 and offer.host_ids[0] in names:
            details.append(f"with {names[offer.host_ids[0]]}")
        grouped.setdefault(day, []).append(
            TimeChoice(
                offer.key,
                booking.span_words(offer.starts_at, offer.ends_at, zone),
                ", ".join(details),
            )
        )
    return [DayChoices(headings[day], grouped[day]) for day in sorted(grouped)]
