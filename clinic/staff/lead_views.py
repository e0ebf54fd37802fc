"""The coordinator's day: the Today page and the lead inbox (bulk changes: bulk_views; export:
export_views)."""

from __future__ import annotations

from dataclasses import replace

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
from clinic.content.review import pages_due
from clinic.leads import conditions, inbox, today
from clinic.leads import counts as tab_counts
from clinic.leads.pipeline import LOST_REASONS, OPEN_STATUSES
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.staff import bp
from clinic.staff.auth import open_to_editors
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


# Sent by inbox.html's filter form and "whose leads" switch: the owner the page showed. An owner
# that differs from it was chosen there, and is kept for the next plain visit; links that merely
# carry an owner (from Today, the tabs, paging) don't change what is kept.
OWNER_WAS = "owner_was"


@bp.get("/")
@login_required
@open_to_editors
def home():
    if not current_user.sees_patient_data:
        return redirect(url_for("staff.content"))
    ctx = inbox_context()
    me = current_user.id
    new = today.my_new_leads(me)
    due = today.follow_ups_due(me, ctx.today)
    # An admin sees the clinic's consultations today; a coordinator, theirs.
    agenda = today.agenda(ctx.today, None if current_user.is_admin else me, ctx.now)
    return render_template(
        "staff/home.html",
        next_action=today.next_action(me, new, due, agenda.ahead, ctx.now),
        new=new,
        new_count=today.count_new(me),
        due=due,
        due_count=today.count_due(me, ctx.today),
        agenda=agenda,
        appointment_kinds=APPOINTMENT_KINDS,
        unassigned=today.new_unassigned(),
        unassigned_limit=today.UNASSIGNED_LIMIT,
        speed=today.speed_to_lead(ctx.now),
        totals=today.status_totals(),
        quiet=today.gone_quiet(current_user.id, ctx.now, ctx.stale_days),
        conditions=conditions.names(),
        open_statuses=OPEN_STATUSES,
        target_minutes=current_app.config["CLINIC_SPEED_TARGET_MINUTES"],
        now=ctx.now,
        today=ctx.today,
        lead_path=lead_path_builder(),
        pages_due=pages_due(ctx.today) if current_user.is_clinical_reviewer else [],
    )


def _filter_form(params: inbox.InboxParams, staff, condition_choices) -> InboxFilterForm:
    form = InboxFilterForm(
        data={
            "q": params.q,
            "status": params.status,
            "condition": params.condition,
            "owner": params.owner or "anyone",
            "source": params.source,
            "created_from": params.created_from,
            "created_to": params.created_to,
            "view": params.view,
            "sort": params.sort,
        }
    )
    form.status.choices = inbox.status_options()
    form.condition.choices = [("", "Any condition"), *condition_choices]
    form.owner.choices = [*inbox.OWNERS.items()] + [(str(user.id), user.name) for user in staff]
    return form


@bp.get("/leads")
@login_required
def leads():
    params = inbox.parse_params(request.args)
    owner_was = request.args.get(OWNER_WAS)
    if owner_was is not None and params.owner and params.owner != owner_was:
        # A GET that writes, on purpose: only an owner changed in the form or the switch, only
        # when it differs from the one kept (in a short transaction of its own), and the address
        # is redirected without the marker, so reloads and bookmarks never write.
        inbox.remember_owner(current_user._get_current_object(), params.owner)
    canonical = params.query_args()
    if not params.errors and request.args.to_dict() != canonical:
        # The filter form sends every field, empty or default: bookmark the short form instead.
        return redirect(url_for("staff.leads", **canonical))
    plain = not request.args
    if plain:
        # Opened plainly: whose leads the person chose last time (or their role's start).
        owner = inbox.starting_owner(current_user.inbox_owner, is_admin=current_user.is_admin)
        params = replace(params, owner=owner)
    ctx = inbox_context()
    page = inbox.fetch_page(params, ctx)
    counts = inbox.status_counts(params, ctx)
    # Opened plainly, the inbox says in one line how many of the person's own follow-ups are
    # due, linking to them, so the list itself stays on the first screen (Today lists them).
    due_count = today.count_due(current_user.id, ctx.today) if plain else None
    staff = staff_members()
    condition_choices = conditions.choices(published_only=False)
    html = render_template(
        "staff/inbox.html",
        params=params,
        page=page,
        due_count=due_count,
        counts=counts,
        open_total=tab_counts.total(counts),
        filter_form=_filter_form(params, staff, condition_choices),
        bulk_form=bulk_form(staff, params),
        appointments=inbox.booked_appointments([lead.id for lead in page.leads], ctx.now),
        appointment_kinds=APPOINTMENT_KINDS,
        owners=inbox.OWNERS,
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
