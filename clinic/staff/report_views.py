"""Reports for the clinic's owners and coordinators: one section per page, each table with
its chart and a CSV download of exactly the rows shown."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, render_template, request, url_for
from flask_login import login_required

from clinic import audit, clock
from clinic.leads import conditions
from clinic.leads.export import neutralise_formula
from clinic.reports.periods import (
    DEFAULT_PRESET,
    PRESETS,
    Period,
    PeriodError,
    custom_period,
    preset_period,
)
from clinic.reports.queries import ReportFilters
from clinic.reports.tables import (
    SECTIONS,
    TABLE_SECTIONS,
    ReportContext,
    ReportTable,
    article_titles,
    build_section,
)
from clinic.staff import bp
from clinic.staff.report_forms import CUSTOM, ReportFilterForm

DEFAULT_SECTION = "articles"


def _period(form: ReportFilterForm, today) -> tuple[Period, str | None]:
    """The period asked for, or the default one with the reason the request was not usable."""
    valid = form.validate()
    choice = form.period.data
    if valid and choice == CUSTOM:
        if not (form.date_from.data and form.date_to.data):
            return preset_period(DEFAULT_PRESET, today), "Enter both dates for a custom period."
        try:
            return custom_period(form.date_from.data, form.date_to.data), None
        except PeriodError as error:
            return preset_period(DEFAULT_PRESET, today), str(error)
    if valid and choice in PRESETS:
        return preset_period(choice, today), None
    return preset_period(DEFAULT_PRESET, today), _first_error(form)


def _first_error(form: ReportFilterForm) -> str:
    """The reason to show above the default report: the first field's error, by its label."""
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "Some dates could not be read."


def _csv(table: ReportTable, period: Period) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([neutralise_formula(cell) for cell in row] for row in table.rows)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    filename = f"{table.name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reports")
@login_required
def reports():
    config = current_app.config
    calendar = clock.business_calendar()
    now = clock.now()
    today = clock.today(now)
    condition_names = conditions.names()
    form = ReportFilterForm(request.args)
    form.condition.choices = [("", "All conditions")] + sorted(
        condition_names.items(), key=lambda item: item[1]
    )
    period, problem = _period(form, today)
    condition = form.condition.data if form.condition.data in condition_names else None

    wanted = request.args.get("report", "")
    if request.args.get("format") == "csv":
        if wanted not in TABLE_SECTIONS:
            abort(404)
        section = TABLE_SECTIONS[wanted]
    else:
        section = request.args.get("section", DEFAULT_SECTION)
        if section not in SECTIONS:
            section = DEFAULT_SECTION

    start, end = clock.day_range(period.first, period.last)
    filters = ReportFilters(start=start, end=end, condition=condition)
    ctx = ReportContext(
        filters,
        calendar,
        now,
        today,
        config["CLINIC_STALE_DAYS"],
        condition_names,
        article_titles(),
    )
    tables = build_section(section, ctx)
    if request.args.get("format") == "csv":
        table = next(table for table in tables if table.name == wanted)
        response = _csv(table, period)
        detail = (
            f"report={wanted}; period={period.first.isoformat()}..{period.last.isoformat()}; "
            f"condition={condition or 'all'}; rows={len(table.rows)}"
        )
        audit.record_seen("report_downloaded", detail=detail)
        return response

    args = {key: value for key, value in request.args.items() if key in form.data and value}
    keep_condition = {"condition": condition} if condition else {}
    return render_template(
        "staff/reports.html",
        form=form,
        problem=problem,
        period=period,
        section=section,
        tables=tables,
        condition_name=condition_names.get(condition or "", ""),
        section_urls=[
            (name, label, url_for("staff.reports", **args, section=name))
            for name, (label, _) in SECTIONS.items()
        ],
        preset_urls=[
            (label, url_for("staff.reports", section=section, period=key, **keep_condition))
            for key, label in PRESETS.items()
        ],
        csv_url=lambda name: url_for(
            "staff.reports", **args, section=section, format="csv", report=name
        ),
    )
