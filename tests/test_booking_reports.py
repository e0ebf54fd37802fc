"""The "Online booking" report: share of inquiries that book themselves, time to book, show
rate, overall and by source, article and condition."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from clinic.extensions import db
from clinic.leads.appointments import AppointmentDetails, book_appointment
from clinic.leads.intake import Attribution
from clinic.models import utcnow
from clinic.reports.booking import booking_rows, elapsed
from clinic.reports.queries import ReportFilters
from tests.booking_helpers import THURSDAY_9
from tests.lead_helpers import make_lead, signed_in


def _leads():
    now = utcnow()
    google = Attribution(utm_source="google")
    booked_fast = make_lead(condition="lupus", attribution=google, ago=timedelta(hours=3))
    booked_slow = make_lead(condition="lupus", ago=timedelta(hours=27))
    make_lead(condition="lupus", attribution=google, ago=timedelta(hours=1))
    staff_booked = make_lead(condition="copd", ago=timedelta(hours=2))
    for lead, status in ((booked_fast, "attended"), (booked_slow, "no_show")):
        appointment = book_appointment(
            lead, AppointmentDetails(THURSDAY_9, 30, "phone"), None, now=now, booked_via="patient"
        )
        appointment.status = status
    book_appointment(staff_booked, AppointmentDetails(THURSDAY_9, 30, "video"), None, now=now)
    db.session.commit()


def _filters():
    now = utcnow()
    return ReportFilters(start=now - timedelta(days=30), end=now + timedelta(days=1))


def test_booking_numbers_overall_and_by_condition(frozen_clock, ctx):
    _leads()
    [overall] = booking_rows(_filters(), None)
    assert overall[1:3] == [4, 2]
    assert overall[3] == (3 + 27) / 2 * 3600
    assert overall[4:] == [1, 1]
    from clinic.models import Lead

    by_condition = {row[0]: row[1:] for row in booking_rows(_filters(), Lead.condition_slug)}
    assert by_condition["copd"] == [1, 0, None, 0, 0]
    assert by_condition["lupus"][:2] == [3, 2]
    assert elapsed(30 * 60) == "30 min" and elapsed(3 * 3600) == "3.0 h"
    assert elapsed(3 * 86400) == "3.0 days"


def test_the_reports_page_shows_the_section_and_its_csv(frozen_clock, app, ctx, client):
    _leads()
    signed_in(app, client, "owner@clinic.test", role="admin", name="Olive Owner")
    html = client.get("/staff/reports?section=booking").get_data(as_text=True)
    assert "Online booking by source" in html and "Online booking by condition" in html
    assert "Share that booked" in html and "Show rate" in html
    assert "50.0%" in html  # share of inquiries that booked (2 of 4), and the show rate
    answer = client.get("/staff/reports?section=booking&format=csv&report=booking_by_source")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Source", "Inquiries", "Booked online"]
    assert {row[0]: row[1:3] for row in rows[1:]}["google"] == ["2", "1"]
