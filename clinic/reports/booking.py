"""The "Online booking" report section: how many inquiries book a consultation themselves, how
long after their inquiry, and how many of those come, overall and by source, article and
condition.

It reads the period's leads like every report (first inquiry in the period, not merged, one
condition when chosen) and their consultations booked by the patient: a lead books when it has
at least one; the time to book runs from its first inquiry to its first such booking; the show
rate is attended out of attended and no-show (consultations still ahead or cancelled count in
neither). Counts are added up by the database; only the booked leads' two times come back, to
take their median.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import median

from sqlalchemy import ColumnElement, case, func, literal, select

from clinic.extensions import db
from clinic.models import Appointment, Lead
from clinic.reports.queries import ReportFilters, lead_scope
from clinic.reports.tables import NONE_LABEL, ReportContext, ReportTable, percent

BY = {"source": Lead.source, "article": Lead.first_article, "condition": Lead.condition_slug}
TITLES = {"source": "Source", "article": "Article the form was sent from", "condition": "Condition"}
HEADERS = [
    "Inquiries",
    "Booked online",
    "Share that booked",
    "Median time to book",
    "Attended",
    "No-show",
    "Show rate",
]
TABLE_NAMES = ("booking_overall", *(f"booking_by_{by}" for by in BY))


def _patient_bookings():
    """Per lead: its first booking by the patient, and how its patient-booked consultations
    went."""
    attended = case((Appointment.status == literal("attended"), 1), else_=0)
    no_show = case((Appointment.status == literal("no_show"), 1), else_=0)
    return (
        select(
            Appointment.lead_id.label("lead_id"),
            func.min(Appointment.created_at).label("booked_at"),
            func.sum(attended).label("attended"),
            func.sum(no_show).label("no_show"),
        )
        .where(Appointment.booked_via == literal("patient"))
        .group_by(Appointment.lead_id)
        .subquery()
    )


def booking_rows(filters: ReportFilters, group: ColumnElement | None) -> list[list]:
    """[key, inquiries, booked, median seconds to book or None, attended, no-shows] per key
    (one row with key None when ``group`` is None), most inquiries first."""
    booked = _patient_bookings()
    key = group if group is not None else literal(None)
    counts = db.session.execute(
        select(
            key.label("key"),
            func.count(Lead.id),
            func.count(booked.c.lead_id),
            func.coalesce(func.sum(booked.c.attended), 0),
            func.coalesce(func.sum(booked.c.no_show), 0),
        )
        .select_from(Lead)
        .outerjoin(booked, booked.c.lead_id == Lead.id)
        .where(*lead_scope(filters))
        .group_by(key)
    ).all()
    waits: dict[object, list[float]] = {}
    for row_key, created_at, booked_at in db.session.execute(
        select(key.label("key"), Lead.created_at, booked.c.booked_at)
        .select_from(Lead)
        .join(booked, booked.c.lead_id == Lead.id)
        .where(*lead_scope(filters))
    ):
        waits.setdefault(row_key, []).append(max((booked_at - created_at).total_seconds(), 0))
    rows = [
        [
            row_key,
            inquiries,
            booked_count,
            median(waits[row_key]) if waits.get(row_key) else None,
            int(attended),
            int(no_shows),
        ]
        for row_key, inquiries, booked_count, attended, no_shows in counts
    ]
    return sorted(rows, key=lambda row: (-row[1], str(row[0] or "")))


def elapsed(seconds: float | None) -> str:
    """'45 min', '5 h', '2.5 days': the wait in calendar time."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _cells(row: list) -> list[str]:
    _, inquiries, booked, wait, attended, no_shows = row
    settled = attended + no_shows
    return [
        str(inquiries),
        str(booked),
        percent(100.0 * booked / inquiries if inquiries else None),
        elapsed(wait),
        str(attended),
        str(no_shows),
        percent(100.0 * attended / settled if settled else None),
    ]


def booking_section(ctx: ReportContext) -> list[ReportTable]:
    overall = booking_rows(ctx.filters, None)
    tables = [
        ReportTable(
            "booking_overall",
            "Online booking",
            ["Leads", *HEADERS],
            [["All leads", *_cells(row)] for row in overall if row[1]],
            note=(
                "Leads first heard from in the period that booked a consultation themselves "
                "(through the link after their inquiry); the show rate counts consultations "
                "marked attended or no-show."
            ),
        )
    ]
    labels: dict[str, Callable[[str | None], str]] = {
        "article": ctx.article,
        "condition": ctx.condition,
        "source": lambda value: value or NONE_LABEL,
    }
    for by, column in BY.items():
        tables.append(
            ReportTable(
                f"booking_by_{by}",
                f"Online booking by {TITLES[by].lower()}",
                [TITLES[by], *HEADERS],
                [[labels[by](row[0]), *_cells(row)] for row in booking_rows(ctx.filters, column)],
            )
        )
    return tables
