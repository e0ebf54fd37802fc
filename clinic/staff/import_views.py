"""Importing leads from a spreadsheet or another CRM (admins): upload, map the columns, see a
preview and a dry run, import with a progress bar, undo.

The import runs in pieces driven by its progress page: each request imports for up to
IMPORT_STEP_SECONDS and answers, so no request nears the server's timeout and no worker is
needed. With JavaScript the page asks for the next piece itself; without, it offers a
"Continue" button. The pieces are kept in the database, so any app server can take the next one,
and an import cut off by a restart continues from its last piece when its page is opened again.
"""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from clinic import audit, clock
from clinic.database import write_transaction
from clinic.extensions import csrf, db
from clinic.leads import conditions
from clinic.leads.importing import mapping as mappings
from clinic.leads.importing import run
from clinic.leads.importing.reading import DELIMITERS, ImportFileError, open_sheet
from clinic.leads.importing.undo import UndoReport, undo_import
from clinic.leads.pipeline import STATUS_LABELS
from clinic.models import ImportBatch, ImportMapping, StaffUser
from clinic.staff import bp
from clinic.staff.auth import admin_required
from clinic.staff.forms import EmptyForm
from clinic.staff.import_forms import SavedMappingForm, UploadForm, mapping_form
from clinic.staff.lead_display import staff_members

LIST_LIMIT = 50
SAMPLE_VALUES = 3


def _admin() -> StaffUser:
    return current_user._get_current_object()


def _batch_or_404(batch_id: int) -> ImportBatch:
    return db.get_or_404(ImportBatch, batch_id)


def _month_first() -> bool:
    return current_app.config["CLINIC_PHONE_REGION"] in ("US", "PH", "FM", "PW", "MH")


# The upload is read with this page's own size limit, which must be set before anything reads
# the body, so the app-wide CSRF check (which reads the form first) is left to the form itself.
@csrf.exempt
@bp.route("/import", methods=["GET", "POST"])
@admin_required
def imports():
    """The imports so far, newest first, and the form to upload a file."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    request.max_content_length = limit
    notice = None
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        submitted = False
        notice = f"The file is larger than {_size_words(limit)}, so it wasn't uploaded."
    form.file.description = (
        f"CSV or Excel (.xlsx), up to {_size_words(limit)}. The first row names the columns."
    )
    if submitted:
        upload = form.file.data
        filename = (upload.filename or "upload").rsplit("/", 1)[-1][:255]
        stream = upload.stream
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        try:
            sheet = open_sheet(
                stream,
                filename,
                encoding=form.encoding.data or None,
                delimiter=form.delimiter.data or None,
            )
            batch_id = run.store_upload(
                sheet,
                filename=filename,
                source=(form.source.data or "").strip() or filename.rsplit(".", 1)[0],
                file_bytes=size,
                actor=_admin(),
                month_first=_month_first(),
            )
        except ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            for note in sheet.notes:
                flash(note, "warning")
            return redirect(url_for("staff.import_batch", batch_id=batch_id))
    batches = db.session.execute(
        select(ImportBatch).order_by(ImportBatch.id.desc()).limit(LIST_LIMIT)
    ).scalars()
    status = 413 if notice else (400 if form.errors else 200)
    return render_template(
        "staff/imports/list.html",
        form=form,
        notice=notice,
        batches=list(batches),
        names=_names(),
    ), status


def _size_words(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{size:,} bytes"


def _names() -> dict[int, str]:
    return {user.id: user.name for user in staff_members()}


@bp.get("/import/<id:batch_id>")
@admin_required
def import_batch(batch_id: int):
    """The batch's page: mapping and preview, dry run, progress, result or undo."""
    batch = _batch_or_404(batch_id)
    context: dict[str, object] = {"batch": batch, "button_form": EmptyForm(), "names": _names()}
    if batch.status in ("uploaded", "checked"):
        context.update(_mapping_context(batch))
    elif batch.status in ("undoing", "undone"):
        context["undo"] = UndoReport.from_json(batch.undo_report)
    context["counts"] = run.Counts(
        batch.new_leads, batch.joined, batch.possible_duplicates, batch.refused
    )
    return render_template("staff/imports/batch.html", **context)


def _mapping_context(batch: ImportBatch, form=None) -> dict[str, object]:
    headers = run.headers_of(batch)
    chosen = run.mapping_of(batch)
    if form is None:
        data = {f"column_{i}": field for i, field in enumerate(chosen.columns)}
        form = mapping_form(headers, data={**data, "date_order": chosen.date_order})
    rows = run.first_rows(batch.id)
    samples = [
        [cells[i] for _, cells in rows if i < len(cells) and cells[i].strip()][:SAMPLE_VALUES]
        for i in range(len(headers))
    ]
    saved = db.session.execute(select(ImportMapping).order_by(ImportMapping.name)).scalars()
    saved_form = SavedMappingForm()
    saved_form.saved.choices = [(m.id, m.name) for m in saved]
    return {
        "headers": headers,
        "mapping_form": form,
        "samples": samples,
        "columns": [form[f"column_{i}"] for i in range(len(headers))],
        "mapping_problems": chosen.check(),
        "preview": run.preview(batch, chosen),
        "saved_form": saved_form,
        "delimiter_name": DELIMITERS.get(batch.delimiter or "", ""),
        "status_labels": STATUS_LABELS,
        "condition_labels": conditions.names(),
    }


@bp.post("/import/<id:batch_id>/mapping")
@admin_required
def import_mapping(batch_id: int):
    """Keep the columns' fields (and save them under a name, if given); the preview follows."""
    batch = _batch_or_404(batch_id)
    headers = run.headers_of(batch)
    form = mapping_form(headers)
    if not form.validate_on_submit():
        context = _mapping_context(batch, form)
        return render_template(
            "staff/imports/batch.html",
            batch=batch,
            button_form=EmptyForm(),
            names=_names(),
            counts=run.Counts(),
            **context,
        ), 400
    chosen = mappings.Mapping(
        [form[f"column_{i}"].data for i in range(len(headers))], form.date_order.data
    )
    name = (form.save_as.data or "").strip()
    try:
        with write_transaction():
            batch = run.locked_batch(batch_id)
            run.set_mapping(batch, chosen, _admin())
            if name:
                _save_mapping(name, mappings.saved_json(chosen, headers))
    except run.ImportStateError as error:
        flash(str(error), "error")
    else:
        flash(f"Mapping saved as “{name}”." if name else "Mapping changed.", "success")
    return redirect(url_for("staff.import_batch", batch_id=batch_id, _anchor="preview"))


def _save_mapping(name: str, fields: str) -> None:
    saved = db.session.execute(
        select(ImportMapping).where(ImportMapping.name == name)
    ).scalar_one_or_none()
    if saved is None:
        db.session.add(ImportMapping(name=name, fields=fields, created_by_id=_admin().id))
    else:
        saved.fields = fields
    audit.record("import_mapping_saved", detail=f"mapping “{name[:100]}”")


@bp.post("/import/<id:batch_id>/saved-mapping")
@admin_required
def import_saved_mapping(batch_id: int):
    batch = _batch_or_404(batch_id)
    form = SavedMappingForm()
    form.saved.choices = [
        (m.id, m.name) for m in db.session.execute(select(ImportMapping)).scalars()
    ]
    if form.validate_on_submit():
        saved = db.session.get_one(ImportMapping, form.saved.data)
        chosen = mappings.from_saved(saved.fields, run.headers_of(batch))
        try:
            with write_transaction():
                run.set_mapping(run.locked_batch(batch_id), chosen, _admin())
        except run.ImportStateError as error:
            flash(str(error), "error")
        else:
            flash(f"Mapping “{saved.name}” applied.", "success")
    return redirect(url_for("staff.import_batch", batch_id=batch_id, _anchor="preview"))


@bp.post("/import/<id:batch_id>/check")
@admin_required
def import_check(batch_id: int):
    """The dry run: counts what the import would do, stores nothing else."""
    batch = _batch_or_404(batch_id)
    if EmptyForm().validate_on_submit():
        problems = run.mapping_of(batch).check()
        if problems:
            flash(" ".join(problems), "error")
        else:
            try:
                run.dry_run(batch_id)
            except run.ImportStateError as error:
                flash(str(error), "error")
    return redirect(url_for("staff.import_batch", batch_id=batch_id, _anchor="dry-run"))


@bp.get("/import/<id:batch_id>/refused.csv")
@admin_required
def import_refused(batch_id: int):
    """The refused rows with a reason column, to fix and import again."""
    batch = _batch_or_404(batch_id)
    filename = f"refused-rows-import-{batch.id}.csv"
    audit.record_seen("import_refused_downloaded", detail=f"batch {batch_id}")
    response = Response(stream_with_context(run.refused_csv_lines(batch_id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/import/<id:batch_id>/start")
@admin_required
def import_start(batch_id: int):
    batch = _batch_or_404(batch_id)
    if EmptyForm().validate_on_submit():
        if batch.status != "checked":
            flash("Run the dry run first: it shows what the import would do.", "error")
        else:
            try:
                run.start(batch_id, _admin())
            except run.ImportStateError as error:
                flash(str(error), "error")
    return redirect(url_for("staff.import_batch", batch_id=batch_id))


@bp.post("/import/<id:batch_id>/step")
@admin_required
def import_step(batch_id: int):
    """Import for a few seconds; the progress page (or its script) asks again until done."""
    _batch_or_404(batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    finished = run.run_steps(batch_id, seconds=current_app.config["IMPORT_STEP_SECONDS"])
    batch = db.session.get_one(ImportBatch, batch_id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            finished=finished,
            status=batch.status,
            rows_done=batch.rows_done,
            total_rows=batch.total_rows,
        )
    return redirect(url_for("staff.import_batch", batch_id=batch_id))


@bp.post("/import/<id:batch_id>/undo")
@admin_required
def import_undo(batch_id: int):
    _batch_or_404(batch_id)
    if EmptyForm().validate_on_submit():
        try:
            report = undo_import(batch_id, _admin())
        except run.ImportStateError as error:
            flash(str(error), "error")
        else:
            flash(f"Import undone: {report.line()}.", "success")
    return redirect(url_for("staff.import_batch", batch_id=batch_id))


@bp.post("/import/<id:batch_id>/discard")
@admin_required
def import_discard(batch_id: int):
    batch = _batch_or_404(batch_id)
    filename = batch.filename
    if EmptyForm().validate_on_submit():
        try:
            run.discard(batch_id, _admin())
        except run.ImportStateError as error:
            flash(str(error), "error")
            return redirect(url_for("staff.import_batch", batch_id=batch_id))
        flash(f"{filename} discarded: nothing was imported from it.", "success")
    return redirect(url_for("staff.imports"))


@bp.app_template_filter("import_day")
def import_day(moment) -> str:
    return clock.today(moment).isoformat() if moment else ""
