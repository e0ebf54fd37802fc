"""The coordinator's day: the Today page, the lead inbox, bulk changes and the CSV export."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import actions, conditions, inbox, today
from clinic.leads import counts as tab_counts
from clinic.leads.export import csv_lines, export_records
from clinic.leads.pipeline import LOST_REASONS, OPEN_STATUSES, STATUS_LABELS
from clinic.logging_setup import redact
from clinic.models import Lead, StaffUser
from clinic.staff import bp
from clinic.staff.auth import export_required
from clinic.staff.lead_display import (
    inbox_context,
    lead_path_builder,
    owner_choices,
    source_paths,
    staff_members,
)
from clinic.staff.lead_forms import BulkForm, InboxFilterForm


@bp.after_request
def _no_store(response: Response) -> Response:
    """Staff pages hold patients' details: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def home():
    ctx = inbox_context()
    return render_template(
        "staff/home.html",
        due=today.follow_ups_due(current_user.id, ctx.today),
        overdue_count=today.count_overdue(current_user.id, ctx.today),
        unassigned=today.new_unassigned(),
        speed=today.speed_to_lead(ctx.now),
        totals=today.status_totals(),
        quiet=today.gone_quiet(current_user.id, ctx.now, ctx.stale_days),
        conditions=conditions.names(),
        open_statuses=OPEN_STATUSES,
        target_minutes=current_app.config["CLINIC_SPEED_TARGET_MINUTES"],
        now=ctx.now,
        today=ctx.today,
        lead_path=lead_path_builder(),
    )


def _filter_form(params: inbox.InboxParams, staff, condition_choices) -> InboxFilterForm:
    form = InboxFilterForm(
        data={
            "q": params.q,
            "status": params.status,
            "condition": params.condition,
            "owner": params.owner,
            "source": params.source,
            "created_from": params.created_from,
            "created_to": params.created_to,
            "view": params.view,
            "sort": params.sort,
        }
    )
    form.status.choices = inbox.status_options()
    form.condition.choices = [("", "Any condition"), *condition_choices]
    form.owner.choices = [("", "Anyone"), ("me", "Me"), ("none", "Unassigned")] + [
        (str(user.id), user.name) for user in staff
    ]
    return form


def _bulk_form(staff, params: inbox.InboxParams | None = None) -> BulkForm:
    form = BulkForm(prefix="bulk")
    form.owner.choices = owner_choices(staff)
    if params is not None:
        form.back.data = urlencode(params.query_args())
    return form


@bp.get("/leads")
@login_required
def leads():
    params = inbox.parse_params(request.args)
    canonical = params.query_args()
    if not params.errors and request.args.to_dict() != canonical:
        # The filter form sends every field, empty or default: bookmark the short form instead.
        return redirect(url_for("staff.leads", **canonical))
    ctx = inbox_context()
    page = inbox.fetch_page(params, ctx)
    counts = inbox.status_counts(params, ctx)
    # Opening the inbox plainly puts the coordinator's own most overdue follow-ups first; a
    # few, with a link to all of them, so the inbox itself stays in view (and fast).
    due = (
        None
        if canonical
        else today.follow_ups_due(current_user.id, ctx.today, overdue_limit=5, today_limit=5)
    )
    staff = staff_members()
    condition_choices = conditions.choices(published_only=False)
    html = render_template(
        "staff/inbox.html",
        params=params,
        page=page,
        due=due,
        counts=counts,
        open_total=tab_counts.total(counts),
        filter_form=_filter_form(params, staff, condition_choices),
        bulk_form=_bulk_form(staff, params),
        staff_names={user.id: user.name for user in staff},
        conditions=dict(condition_choices),
        open_statuses=OPEN_STATUSES,
        scopes=inbox.SCOPES,
        views=inbox.VIEWS,
        sorts=inbox.SORTS,
        now=ctx.now,
        today=ctx.today,
        lead_path=lead_path_builder(),
        source_paths=source_paths(page.leads),
    )
    # Spaced, so the audit page can wrap a page's fifty ids.
    shown = ", ".join(str(lead.id) for lead in page.leads) or "none"
    detail = f"rows={len(page.leads)}; filters={_audited_filters(params)}; ids={shown}"
    audit.record_seen("leads_listed", detail=detail)
    return html


def _audited_filters(params: inbox.InboxParams) -> str:
    """The filters as the audit log keeps them (erasure doesn't rewrite it): that a search was
    used, never what was typed, which may be a patient's name or phone number, and any other
    value with contact details blanked as the logs blank them."""
    args = params.filters_only().query_args()
    kept = {name: "(search)" if name == "q" else redact(value) for name, value in args.items()}
    return urlencode(kept, safe="()[]") or "none"


def _inbox_url(query_string: str | None) -> str:
    """Back to the inbox with the filters the coordinator had, rebuilt from known parameters
    only, so the hidden field can't send anyone elsewhere."""
    params = inbox.parse_params(MultiDict(parse_qsl(query_string or "")))
    return url_for("staff.leads", **params.query_args())


@bp.post("/leads/bulk")
@login_required
def bulk():
    staff = staff_members()
    form = _bulk_form(staff)
    back = _inbox_url(form.back.data)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            selected = actions.leads_for_update(form.lead_ids.data)
            if form.assign.data:
                owner = db.session.get(StaffUser, int(form.owner.data)) if form.owner.data else None
                result = actions.bulk_assign(selected, owner, actor)
                done = f"Assigned to {owner.name}" if owner else "Unassigned"
            else:
                result = actions.bulk_change_status(
                    selected, form.status.data, actor, lost_reason=form.lost_reason.data or None
                )
                done = f"Moved to {STATUS_LABELS[form.status.data]}"
    except actions.LeadActionError as error:
        flash(str(error), "error")
        return redirect(back)
    message = f"{done}: {result.changed} lead{'s' if result.changed != 1 else ''}."
    if result.unchanged:
        message += f" {result.unchanged} already were."
    if result.refused:
        message += f" {result.refused} erased or merged lead(s) left unchanged."
    flash(message, "success")
    return redirect(back)


@bp.get("/leads/export.csv")
@export_required
def export_csv():
    """Stream the leads the inbox filters select, as CSV for a spreadsheet.

    The rows are counted first, with the same filters, and the export is bounded to the leads
    that existed at that moment (id ≤ the highest counted), so the audit row written before the
    first byte states exactly how many rows the file holds, even while new leads arrive.
    """
    params = inbox.parse_params(request.args).filters_only()
    ctx = inbox_context()
    rows, last_id = inbox.export_size(params, ctx)
    audit.record_seen("leads_exported", detail=f"rows={rows}; filters={_audited_filters(params)}")
    statement = inbox.export_statement(params, ctx).where(Lead.id <= (last_id or 0))
    response = Response(
        stream_with_context(csv_lines(export_records(statement), bom=True)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="leads-{ctx.today.isoformat()}.csv"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_context_processor
def _lead_words():
    return {"lost_reasons": LOST_REASONS}
