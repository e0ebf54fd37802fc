"""Admin pages for what the clinic offers: services with prices and regulatory standing, and the
clinicians who give them (tabs of the clinic's settings). Everything saved is audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select

from clinic.content import catalogue
from clinic.content.catalogue import CatalogueError
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import Clinician, Service, StaffUser
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.catalogue_forms import ClinicianForm, ServiceForm


@bp.get("/settings/services")
@admin_required
def services():
    return render_template(
        "staff/settings/services.html",
        services=catalogue.all_services(),
        clinicians={person.id: person for person in catalogue.all_clinicians()},
        price=catalogue.format_price,
    )


def _service_page(service: Service | None):
    form = ServiceForm()
    form.set_clinicians(catalogue.all_clinicians())
    if not form.is_submitted() and service is not None:
        form.fill_from(service)
    if form.is_submitted():
        valid = form.validate()
        # The catalogue's rules are checked even when a field is missing, so every problem
        # shows at once.
        errors = form.money_field_errors() or catalogue.service_errors(form.draft())
        if valid and not errors:
            try:
                with write_transaction():
                    saved = catalogue.save_service(
                        db.session.merge(service) if service else None, form.draft()
                    )
                    name, published = saved.name, saved.published
            except CatalogueError as error:
                errors = error.errors
        if valid and not errors:
            shown = "shown on the Services page" if published else "not shown to patients yet"
            flash(f"“{name}” saved: {shown}.", "success")
            return redirect(url_for("staff.services"))
        form.show_errors(errors)
    status = 400 if form.errors else 200
    return render_template("staff/settings/services_form.html", form=form, service=service), status


@bp.route("/settings/services/new", methods=["GET", "POST"])
@admin_required
def service_new():
    return _service_page(None)


@bp.route("/settings/services/<id:service_id>", methods=["GET", "POST"])
@admin_required
def service_edit(service_id: int):
    return _service_page(db.get_or_404(Service, service_id))


@bp.get("/settings/clinicians")
@admin_required
def clinicians():
    return render_template("staff/settings/clinicians.html", clinicians=catalogue.all_clinicians())


def _clinician_page(clinician: Clinician | None):
    form = ClinicianForm()
    form.set_staff(
        db.session.execute(
            select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
        ).scalars()
    )
    if not form.is_submitted() and clinician is not None:
        form.fill_from(clinician)
    if form.validate_on_submit():
        try:
            with write_transaction():
                saved = catalogue.save_clinician(
                    db.session.merge(clinician) if clinician else None, form.draft()
                )
                name, published = saved.name, saved.published
        except CatalogueError as error:
            form.show_errors(error.errors)
        else:
            shown = "shown on the Clinicians page" if published else "not shown to patients yet"
            flash(f"{name} saved: {shown}.", "success")
            return redirect(url_for("staff.clinicians"))
    status = 400 if form.errors else 200
    return (
        render_template("staff/settings/clinicians_form.html", form=form, clinician=clinician),
        status,
    )


@bp.route("/settings/clinicians/new", methods=["GET", "POST"])
@admin_required
def clinician_new():
    return _clinician_page(None)


@bp.route("/settings/clinicians/<id:clinician_id>", methods=["GET", "POST"])
@admin_required
def clinician_edit(clinician_id: int):
    return _clinician_page(db.get_or_404(Clinician, clinician_id))
