"""Admin pages for automation (assignment rules, webhooks with their delivery log, reply
templates), and the saved replies coordinators copy on a lead record."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from clinic import audit, clock
from clinic.automation import assignment, reply_templates, webhooks
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import conditions
from clinic.leads.bulk import leads_word
from clinic.leads.pipeline import OPEN_STATUSES
from clinic.models import AssignmentRule, Lead, ReplyTemplate, StaffUser, WebhookEndpoint
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.automation_forms import ReplyTemplateForm, RuleForm, WebhookForm
from clinic.staff.bulk_forms import WaitingLeadsForm
from clinic.staff.bulk_views import UNDO_MINUTES, Confirmation, offer_undo, render_confirmation
from clinic.staff.forms import EmptyForm


def _rule_form() -> RuleForm:
    form = RuleForm(prefix="rule")
    form.condition.choices = [("", "Choose a condition")] + sorted(
        conditions.names().items(), key=lambda item: item[1]
    )
    people = db.session.execute(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
    ).scalars()
    form.members.choices = [(person.id, f"{person.name} ({person.role})") for person in people]
    return form


def _waiting_count() -> int:
    return db.session.execute(
        select(func.count()).where(
            Lead.owner_id.is_(None),
            Lead.status.in_(OPEN_STATUSES),
            Lead.merged_into_id.is_(None),
            Lead.erased_at.is_(None),
        )
    ).scalar_one()


@bp.get("/automation")
@admin_required
def automation(rule_form: RuleForm | None = None):
    return render_template(
        "staff/automation/index.html",
        rules=assignment.all_rules(),
        rule_form=rule_form or _rule_form(),
        conditions=conditions.names(),
        everyone=assignment.active_coordinators(),
        waiting=_waiting_count(),
        endpoints=db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.name))
        .scalars()
        .all(),
        templates=reply_templates.all_templates(),
        claims=reply_templates.template_claims,
        button=EmptyForm(),
    )


@bp.post("/automation/rules")
@admin_required
def automation_rule_save():
    form = _rule_form()
    if not form.validate_on_submit():
        return automation(rule_form=form), 400
    try:
        with write_transaction():
            rule = assignment.save_rule(
                form.condition.data, form.members.data or [], active=form.active.data
            )
            audit.record("automation_changed", detail=f"assignment rule {rule.condition_slug}")
    except assignment.AssignmentError as error:
        form.members.errors = [str(error)]
        return automation(rule_form=form), 400
    flash("Assignment rule saved.", "success")
    return redirect(url_for("staff.automation"))


@bp.post("/automation/rules/<id:rule_id>/delete")
@admin_required
def automation_rule_delete(rule_id: int):
    if EmptyForm().validate_on_submit():
        with write_transaction():
            rule = db.get_or_404(AssignmentRule, rule_id)
            audit.record("automation_changed", detail=f"rule {rule.condition_slug} removed")
            assignment.delete_rule(rule)
        flash("Rule removed: those leads go to everyone again.", "success")
    return redirect(url_for("staff.automation"))


def _dealing_confirmation(plan: assignment.DealPlan, form: WaitingLeadsForm) -> Confirmation:
    waiting = _waiting_count()
    count = leads_word(plan.leads)
    if waiting > plan.leads:
        question = (
            f"Assign the {plan.leads} oldest of the {waiting} leads waiting without an owner?"
        )
    else:
        question = f"Assign the {count} waiting without an owner?"
    facts = [
        "They are dealt as new leads are, oldest first; each shows on its timeline as assigned "
        "by the system:"
    ]
    breakdown = [f"{share.name}: {leads_word(share.leads)} ({share.how})" for share in plan.shares]
    facts.append(
        f"For {UNDO_MINUTES} minutes afterwards you can undo it: the leads nobody has worked on "
        "since go back to waiting."
    )
    return Confirmation(
        question=question,
        facts=facts,
        button=f"Assign {count}",
        action=url_for("staff.automation_assign_waiting_confirm"),
        cancel=url_for("staff.automation"),
        hidden=[(form.up_to_id.name, str(plan.newest_id))],
        breakdown=breakdown,
    )


@bp.post("/automation/assign-waiting")
@admin_required
def automation_assign_waiting():
    """Who would get the waiting leads, for the admin to confirm; nothing changes yet."""
    form = WaitingLeadsForm()
    if not form.validate_on_submit():
        return redirect(url_for("staff.automation"))
    plan = assignment.plan_dealing()
    if not plan.leads:
        flash("No lead is waiting without an owner.", "info")
        return redirect(url_for("staff.automation"))
    return render_confirmation(_dealing_confirmation(plan, form), form)


@bp.post("/automation/assign-waiting/confirm")
@admin_required
def automation_assign_waiting_confirm():
    form = WaitingLeadsForm()
    if not form.validate_on_submit():
        flash("The confirmation had expired: nothing was assigned. Please try again.", "error")
        return redirect(url_for("staff.automation"))
    actor = current_user._get_current_object()
    with write_transaction():
        outcome = assignment.assign_waiting_leads(
            actor, up_to_id=form.up_to_id.data, now=clock.now()
        )
        if outcome.action is not None:
            detail = f"assigned {outcome.action.lead_count} waiting leads"
            audit.record("automation_changed", detail=detail)
    if outcome.action is None:
        flash("No lead was waiting any more: nothing was assigned.", "info")
    else:
        offer_undo(outcome.action, f"{outcome.action.summary}.", None)
    return redirect(url_for("staff.automation"))


def _save_webhook(endpoint: WebhookEndpoint | None, form: WebhookForm) -> WebhookEndpoint:
    """Check the address, then save (and audit) the endpoint in one write transaction.

    The check asks DNS, so it comes first: a slow lookup must not hold the write lock.
    """
    url = webhooks.check_url(
        form.url.data, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    )
    with write_transaction():
        return webhooks.save_endpoint(
            db.session.merge(endpoint) if endpoint else None,
            name=form.name.data,
            url=url,
            events=form.events.data or [],
            include_personal_data=form.include_personal_data.data,
            active=form.active.data,
        )


@bp.route("/automation/webhooks/new", methods=["GET", "POST"])
@admin_required
def webhook_new():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoint = _save_webhook(None, form)
        except webhooks.WebhookError as error:
            form.url.errors = [str(error)]
        else:
            flash("Endpoint added. Give its secret to the receiving system.", "success")
            return redirect(url_for("staff.webhook", endpoint_id=endpoint.id))
    elif not form.is_submitted():
        form.events.data = list(webhooks.EVENT_TYPES)
    status = 400 if form.errors else 200
    return render_template("staff/automation/webhook.html", form=form, endpoint=None), status


@bp.route("/automation/webhooks/<id:endpoint_id>", methods=["GET", "POST"])
@admin_required
def webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = WebhookForm(obj=endpoint)
    if not form.is_submitted():
        form.events.data = endpoint.event_types
    if form.validate_on_submit():
        try:
            endpoint = _save_webhook(endpoint, form)
        except webhooks.WebhookError as error:
            form.url.errors = [str(error)]
        else:
            flash("Endpoint saved.", "success")
            return redirect(url_for("staff.webhook", endpoint_id=endpoint.id))
    status = 400 if form.errors else 200
    return render_template(
        "staff/automation/webhook.html",
        form=form,
        endpoint=endpoint,
        deliveries=webhooks.delivery_log(endpoint),
        button=EmptyForm(),
        signature_header=webhooks.SIGNATURE_HEADER,
        timestamp_header=webhooks.TIMESTAMP_HEADER,
    ), status


@bp.post("/automation/webhooks/<id:endpoint_id>/<action>")
@admin_required
def webhook_action(endpoint_id: int, action: str):
    if action not in ("rotate", "test", "retry"):
        abort(404)
    if EmptyForm().validate_on_submit():
        with write_transaction():
            endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
            if action == "rotate":
                webhooks.rotate_secret(endpoint)
                message = "New secret issued: update the receiving system before the next event."
            elif action == "test":
                webhooks.queue_test_event(endpoint)
                message = "Test event queued; its delivery appears in the log below."
            else:
                count = webhooks.retry_failed_deliveries(endpoint)
                message = f"{count} failed deliveries queued again."
            audit.record("automation_changed", detail=f"webhook {endpoint.id} {action}")
        flash(message, "success")
    return redirect(url_for("staff.webhook", endpoint_id=endpoint_id))


@bp.route("/automation/templates/new", methods=["GET", "POST"])
@bp.route("/automation/templates/<id:template_id>", methods=["GET", "POST"])
@admin_required
def reply_template(template_id: int | None = None):
    template = db.get_or_404(ReplyTemplate, template_id) if template_id else None
    form = ReplyTemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            with write_transaction():
                saved = reply_templates.save_template(
                    db.session.merge(template) if template else None,
                    title=form.title.data,
                    channel=form.channel.data,
                    subject=form.subject.data or "",
                    body=form.body.data,
                    active=form.active.data,
                    author=current_user,
                )
                audit.record("automation_changed", detail=f"reply template {saved.id} saved")
        except reply_templates.ReplyTemplateError as error:
            form.body.errors = [str(error)]
        else:
            claims = reply_templates.template_claims(saved)
            if claims:
                flash(
                    "Saved, but it makes treatment-outcome claims (" + ", ".join(claims) + "): "
                    "please reword it.",
                    "error",
                )
            else:
                flash("Template saved.", "success")
            return redirect(url_for("staff.reply_template", template_id=saved.id))
    claims = reply_templates.outcome_claims(form.subject.data or "", form.body.data or "")
    status = 400 if form.errors else 200
    return render_template(
        "staff/automation/template.html", form=form, template=template, claims=claims
    ), status


@bp.app_context_processor
def _reply_templates_for_lead():
    """Lets the lead record include the saved replies without its view loading them."""
    return {
        "active_reply_templates": reply_templates.active_templates,
        "reply_template_claims": reply_templates.template_claims,
    }
