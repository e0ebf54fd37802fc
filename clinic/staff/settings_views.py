"""The clinic's settings (admins): its profile, which every public page, email and local time
reads. The other settings tabs (clinicians, services, booking …) have their own modules."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from clinic import profile
from clinic.database import write_transaction
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.settings_forms import ProfileForm


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def clinic_settings():
    saved, logo_url = profile.editable()
    form = ProfileForm(data=saved, current_zone=saved["timezone"])
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form, logo_url), 400
        with write_transaction():
            changed = profile.save_profile(
                form.values(), logo=form.new_logo, remove_logo=form.remove_logo.data
            )
        profile.forget()
        if changed:
            flash(f"Clinic profile saved. Changed: {_listed(changed)}.", "success")
        else:
            flash("Clinic profile saved; nothing had changed.", "success")
        return redirect(url_for("staff.clinic_settings"))
    return _page(form, logo_url)


def _page(form: ProfileForm, logo_url: str | None) -> str:
    return render_template("staff/settings/profile.html", form=form, logo_url=logo_url)


_NAMES = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "hours": "opening hours",
    "timezone": "time zone",
    "street": "street",
    "locality": "city",
    "region": "state",
    "postal_code": "ZIP code",
    "country": "country",
    "logo": "logo",
    "other_label": "name of the other page",
    **{f"{key}_url": f"{label} link" for key, label in profile.SOCIAL_NETWORKS},
}


def _listed(changed: list[str]) -> str:
    return ", ".join(_NAMES.get(name, name) for name in changed)
