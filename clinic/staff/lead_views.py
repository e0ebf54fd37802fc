"""The coordinator's day: the Today page and the lead inbox (bulk changes: bulk_views; export:
export_views)."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from clinic import audit
from clinic.leads import conditions, inbox, today
from clinic.leads import counts as tab_counts
from clinic.leads.pipeline import LOST_REASONS, OPEN_STATUSES
from clinic.staff import bp
from clinic.staff.bulk_views import bulk_form
from clinic.staff.inbox_forms import InboxFilterForm
from clinic.staff.lead_display import (
    audited_filters,
    inbox_context,
    lead_path_builder,
    source_paths,
    staff_members,
)


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
        bulk_form=bulk_form(staff, params),
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
    detail = f"rows={len(page.leads)}; filters={audited_filters(params)}; ids={shown}"
    audit.record_seen("leads_listed", detail=detail)
    return html


@bp.app_context_processor
def _lead_words():
    return {"lost_reasons": LOST_REASONS}
