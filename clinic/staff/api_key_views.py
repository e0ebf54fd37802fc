"""Admin pages for the lead-capture API and the form framed on the clinic's own site:
Clinic settings → API keys, and → Website form."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import api_keys
from clinic.leads.consent import CONSENT_VERSION
from clinic.models import ApiKey
from clinic.security import embed_origins
from clinic.staff import bp
from clinic.staff.api_key_forms import ApiKeyForm
from clinic.staff.auth import admin_required
from clinic.staff.forms import EmptyForm


@bp.app_template_global()
def api_key_name(key_id: int | None) -> str:
    """The name of the key an API inquiry came with, for the lead record."""
    key = db.session.get(ApiKey, key_id) if key_id else None
    return key.name if key else "a key since removed"


def _keys_page(form: ApiKeyForm, new_key: api_keys.NewKey | None = None, status: int = 200):
    return (
        render_template(
            "staff/settings/api_keys.html",
            form=form,
            keys=api_keys.all_keys(),
            new_key=new_key,
            button=EmptyForm(),
            consent_version=CONSENT_VERSION,
        ),
        status,
    )


@bp.get("/settings/api-keys", endpoint="api_keys")
@admin_required
def api_keys_page():
    return _keys_page(ApiKeyForm())


@bp.post("/settings/api-keys")
@admin_required
def api_key_create():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _keys_page(form, status=400)
    try:
        with write_transaction():
            made = api_keys.create_key(
                form.name.data,
                source_name=form.source_name.data,
                rate_limit=form.rate_limit.data,
                creator=current_user,
                created_by=current_user.email,
            )
            audit.record(
                "api_key_created",
                detail=f"Key “{made.key.name}” ({made.key.prefix}…), source "
                f"“{made.key.source_name}”, limit {made.key.rate_limit}",
            )
    except api_keys.ApiKeyError as error:
        form.rate_limit.errors = [str(error)]
        return _keys_page(form, status=400)
    # Shown once, on this answer only (staff pages are never cached): there is no other copy.
    return _keys_page(ApiKeyForm(formdata=None), new_key=made)


@bp.post("/settings/api-keys/<id:key_id>/revoke")
@admin_required
def api_key_revoke(key_id: int):
    if EmptyForm().validate_on_submit():
        with write_transaction():
            key = db.get_or_404(ApiKey, key_id)
            if api_keys.revoke(key):
                audit.record("api_key_revoked", detail=f"Key “{key.name}” ({key.prefix}…)")
        flash(f"Key “{key.name}” revoked: requests with it are refused from now on.", "success")
    return redirect(url_for("staff.api_keys"))


@bp.get("/settings/website-form")
@admin_required
def website_form():
    public_url = current_app.config["CLINIC_PUBLIC_URL"]
    return render_template(
        "staff/settings/website_form.html",
        public_url=public_url,
        origins=embed_origins(),
        configured=current_app.config.get("EMBED_ALLOWED_ORIGINS") or [],
    )
