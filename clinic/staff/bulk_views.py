"""The inbox's bulk changes: assign the ticked leads to someone, or move them to another stage.

Nothing changes on the first press: a confirmation page says what would happen, with counts and
the leads, and only its button makes the change. The change is kept (clinic.leads.bulk), so the
inbox then offers to undo it, for a while (``bulk.UNDO_WINDOW``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from clinic import audit, clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import actions, bulk, inbox
from clinic.leads.actions import BulkResult
from clinic.leads.bulk import leads_word
from clinic.models import BulkAction, Lead, StaffUser
from clinic.staff import bp
from clinic.staff.bulk_forms import BulkForm, UndoForm
from clinic.staff.lead_display import owner_choices, staff_members

# The session's note of the last bulk change, so the page after it offers the undo.
UNDO_OFFER = "bulk_undo_offer"
UNDO_MINUTES = int(bulk.UNDO_WINDOW.total_seconds() // 60)


def bulk_form(staff, params: inbox.InboxParams | None = None) -> BulkForm:
    form = BulkForm(prefix="bulk")
    form.owner.choices = owner_choices(staff)
    if params is not None:
        form.back.data = urlencode(params.query_args())
    return form


def _inbox_url(query_string: str | None) -> str:
    """Back to the inbox with the filters the coordinator had, rebuilt from known parameters
    only, so the hidden field can't send anyone elsewhere."""
    params = inbox.parse_params(MultiDict(parse_qsl(query_string or "")))
    return url_for("staff.leads", **params.query_args())


@dataclass
class Confirmation:
    """A confirmation page: the question, what would happen, and the button that does it."""

    question: str
    facts: list[str]
    button: str
    action: str
    cancel: str
    hidden: list[tuple[str, str]] = field(default_factory=list)
    # Lines listed under the first fact (who would get how many).
    breakdown: list[str] = field(default_factory=list)
    # Each group of leads listed: its heading, the column saying where each lead is now, and
    # (id, name, where it is now) for each lead.
    groups: list[tuple[str, str, list[tuple[int, str, str]]]] = field(default_factory=list)


def render_confirmation(confirmation: Confirmation, form) -> str:
    return render_template("staff/bulk_confirm.html", confirm=confirmation, form=form)


def _they(count: int, plural: str, singular: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _stay(count: int) -> str:
    return "stays as it is" if count == 1 else "stay as they are"


def _now_held(values: Iterable[str]) -> str:
    """Where the leads are now, the most common first: "Unassigned (20), Ben Li (10)"."""
    held = Counter(values).most_common()
    return ", ".join(f"{value} ({count})" for value, count in held)


def _assign_confirmation(
    form: BulkForm, plan: bulk.BulkPlan, owner: StaffUser | None, staff_names: dict[int, str]
) -> Confirmation:
    def owner_of(lead: Lead) -> str:
        return staff_names.get(lead.owner_id, "Former staff") if lead.owner_id else "Unassigned"

    count = leads_word(len(plan.to_change))
    if owner is not None:
        question, button = f"Assign {count} to {owner.name}?", f"Assign {count} to {owner.name}"
        already = _they(len(plan.already), "already belong", "already belongs")
        already += f" to {owner.name} and {_stay(len(plan.already))}."
    else:
        question, button = f"Unassign {count}?", f"Unassign {count}"
        already = _they(len(plan.already), "have", "has") + " no owner already and "
        already += f"{_stay(len(plan.already))}."
    facts = [f"Who has them now: {_now_held(owner_of(lead) for lead in plan.to_change)}."]
    return _confirmation(form, plan, question, button, facts, already, "Owner now", owner_of)


def _status_confirmation(form: BulkForm, plan: bulk.BulkPlan) -> Confirmation:
    reason = form.lost_reason.data if form.status.data == "lost" else None
    stage = actions.describe_status(form.status.data, reason)

    def stage_of(lead: Lead) -> str:
        return actions.describe_status(lead.status, lead.lost_reason)

    count = leads_word(len(plan.to_change))
    facts = [f"Their stages now: {_now_held(stage_of(lead) for lead in plan.to_change)}."]
    if form.status.data == "lost":
        facts.append("Lost leads leave the open tabs.")
    already = _they(len(plan.already), "are", "is") + f" already {stage} and "
    already += f"{_stay(len(plan.already))}."
    question, button = f"Move {count} to {stage}?", f"Move {count} to {stage}"
    return _confirmation(form, plan, question, button, facts, already, "Stage now", stage_of)


def _confirmation(
    form: BulkForm,
    plan: bulk.BulkPlan,
    question: str,
    button: str,
    facts: list[str],
    already: str,
    column: str,
    where: Callable[[Lead], str],
) -> Confirmation:
    if plan.already:
        facts.append(already)
    if plan.refused:
        facts.append(
            _they(len(plan.refused), "erased or merged leads", "erased or merged lead")
            + " can't be changed."
        )
    facts.append(
        "Each lead's timeline will say who made the change. For "
        f"{UNDO_MINUTES} minutes afterwards you can undo it: the leads nobody has worked on "
        "since go back as they were."
    )
    pressed = form.assign if form.assign.data else form.change_status
    hidden = [(pressed.name, "1"), (form.back.name, form.back.data or "")]
    hidden += [(form.lead_ids.name, str(lead.id)) for lead in plan.to_change]
    if form.assign.data:
        hidden.append((form.owner.name, form.owner.data or ""))
    else:
        hidden.append((form.status.name, form.status.data))
        hidden.append((form.lost_reason.name, form.lost_reason.data or ""))

    def rows(leads: list[Lead]) -> list[tuple[int, str, str]]:
        return [(lead.id, lead.name, where(lead)) for lead in leads]

    groups = [("Leads that will change", column, rows(plan.to_change))]
    if plan.already or plan.refused:
        groups.append(("Leads left as they are", column, rows(plan.already + plan.refused)))
    return Confirmation(
        question=question,
        facts=facts,
        button=button,
        action=url_for("staff.bulk_confirm"),
        cancel=_inbox_url(form.back.data),
        hidden=hidden,
        groups=groups,
    )


def _owner(form: BulkForm) -> StaffUser | None:
    return db.session.get(StaffUser, int(form.owner.data)) if form.owner.data else None


def _checked_form() -> tuple[BulkForm | None, list[StaffUser], str]:
    """The bulk form as sent, or None after flashing what is wrong with it."""
    staff = staff_members()
    form = bulk_form(staff)
    back = _inbox_url(form.back.data)
    if form.validate_on_submit():
        return form, staff, back
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return None, staff, back


@bp.post("/leads/bulk", endpoint="bulk")
@login_required
def bulk_review():
    """What the bulk change would do, for the coordinator to confirm; nothing changes yet."""
    form, staff, back = _checked_form()
    if form is None:
        return redirect(back)
    leads = bulk.leads_by_id(form.lead_ids.data)
    try:
        if form.assign.data:
            owner = _owner(form)
            plan = bulk.plan_assign(leads, owner)
        else:
            plan = bulk.plan_status(leads, form.status.data, form.lost_reason.data or None)
    except actions.LeadActionError as error:
        flash(str(error), "error")
        return redirect(back)
    if not plan.to_change:
        flash(
            "Nothing to change: the ticked leads are already like that, or can't be changed.",
            "info",
        )
        return redirect(back)
    if form.assign.data:
        names = {user.id: user.name for user in staff}
        confirmation = _assign_confirmation(form, plan, owner, names)
    else:
        confirmation = _status_confirmation(form, plan)
    html = render_confirmation(confirmation, form)
    shown = ", ".join(str(lead.id) for lead in leads)
    audit.record_seen("leads_listed", detail=f"rows={len(leads)}; bulk confirmation; ids={shown}")
    return html


def _result_message(summary: str, result: BulkResult) -> str:
    message = f"{summary}."
    if result.unchanged:
        message += f" {_they(result.unchanged, 'were', 'was')} already like that by then."
    if result.refused:
        message += f" {_they(result.refused, 'were', 'was')} erased or merged meanwhile."
    return message


@bp.post("/leads/bulk/confirm")
@login_required
def bulk_confirm():
    form, _staff, back = _checked_form()
    if form is None:
        return redirect(back)
    actor = current_user._get_current_object()
    try:
        with write_transaction():
            selected = actions.leads_for_update(form.lead_ids.data)
            if form.assign.data:
                outcome = bulk.assign(selected, _owner(form), actor, now=clock.now())
            else:
                reason = form.lost_reason.data or None
                outcome = bulk.change_status(
                    selected, form.status.data, actor, lost_reason=reason, now=clock.now()
                )
    except actions.LeadActionError as error:
        flash(str(error), "error")
        return redirect(back)
    if outcome.action is None:
        flash("Nothing changed: the leads were already like that, or can't be changed.", "info")
    else:
        message = _result_message(outcome.action.summary, outcome.result)
        offer_undo(outcome.action, message, form.back.data)
    return redirect(back)


def offer_undo(action: BulkAction, message: str, back: str | None) -> None:
    """Have the next page (the inbox, or the automation page) say what the bulk change did,
    with its Undo button; the button stays while the change may be undone."""
    session[UNDO_OFFER] = {"id": action.id, "message": message, "back": back or ""}


@dataclass(frozen=True)
class UndoOffer:
    action_id: int
    message: str
    until: datetime
    back: str
    # The page right after the change says what it did; later pages just keep the button.
    fresh: bool


def undo_offer() -> UndoOffer | None:
    """The signed-in person's last bulk change while they may still undo it, noted in their
    session by :func:`offer_undo`; None otherwise (without a database read when none is)."""
    saved = session.get(UNDO_OFFER)
    if not isinstance(saved, dict) or not current_user.is_authenticated:
        return None
    action_id = saved.get("id")
    action = db.session.get(BulkAction, action_id) if isinstance(action_id, int) else None
    try:
        if action is None:
            raise bulk.BulkUndoError("gone")
        bulk.check_undoable(action, current_user, clock.now())
    except bulk.BulkUndoError:
        session.pop(UNDO_OFFER, None)
        return None
    fresh = bool(saved.get("message"))
    if fresh:
        session[UNDO_OFFER] = {**saved, "message": None}
    message = saved["message"] if fresh else f"Your last bulk change: {action.summary}."
    return UndoOffer(action.id, message, bulk.undo_until(action), saved.get("back") or "", fresh)


@bp.app_context_processor
def _bulk_undo_offer():
    return {"bulk_undo_offer": undo_offer}


def _undone_message(result: bulk.UndoResult) -> str:
    if result.restored:
        message = f"{leads_word(result.restored)} put back as they were before your bulk change."
    else:
        message = "No lead was put back."
    if result.changed_since:
        message += (
            f" {_they(result.changed_since, 'were', 'was')} worked on or changed since the bulk "
            "change and left as they are."
        )
    if result.cannot_go_back:
        message += (
            f" {_they(result.cannot_go_back, 'leads', 'lead')} could not go back: the previous "
            "owner's account is deactivated."
        )
    return message


@bp.post("/bulk-changes/<id:action_id>/undo")
@login_required
def bulk_undo(action_id: int):
    """Undo the signed-in person's last bulk change (their own only: nobody else's, admins
    included, as they can't see what the person meant; they make a new, confirmed change)."""
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    actor = current_user._get_current_object()
    kind = None
    try:
        with write_transaction():
            action = bulk.action_for_update(action_id)
            if action is None:
                abort(404)
            kind = action.kind
            result = bulk.undo(action, actor, now=clock.now())
    except bulk.BulkUndoError as error:
        flash(str(error), "error")
    else:
        flash(_undone_message(result), "success" if result.restored else "info")
    offered = session.get(UNDO_OFFER)
    if isinstance(offered, dict) and offered.get("id") == action_id:
        session.pop(UNDO_OFFER)
    if kind == "auto_assign":
        return redirect(url_for("staff.automation"))
    return redirect(_inbox_url(form.back.data))
