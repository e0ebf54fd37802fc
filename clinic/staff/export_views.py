"""The inbox's leads as a file for a spreadsheet: CSV, streamed, or an Excel workbook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Select

from clinic import audit, clock
from clinic.leads import inbox
from clinic.leads.export import csv_lines, sheet_rows
from clinic.leads.export_xlsx import CONTENT_TYPE, leads_per_sheet, workbook_file
from clinic.leads.pipeline import STATUS_LABELS
from clinic.models import Lead
from clinic.staff import bp
from clinic.staff.auth import export_required
from clinic.staff.lead_display import audited_filters, inbox_context

FILE_CHUNK = 1 << 16


@bp.get("/leads/export.csv")
@export_required
def export_csv():
    """Stream the leads the inbox filters select, as CSV for a spreadsheet (with a BOM, so
    Excel reads it as UTF-8)."""
    statement, _ = _audited_selection("csv")
    response = Response(
        stream_with_context(csv_lines(sheet_rows(statement), bom=True)), mimetype="text/csv"
    )
    return _attachment(response, "csv")


@bp.get("/leads/export.xlsx")
@export_required
def export_xlsx():
    """The same leads as an Excel workbook, written whole to a temporary file (a zip can't be
    sent before it is finished), then sent from it and deleted."""
    exported_by = current_user.name  # read before the audit row's commit expires it
    statement, params = _audited_selection("xlsx")
    scope = inbox.SCOPES.get(params.scope) or STATUS_LABELS.get(params.scope, params.scope)
    file, _ = workbook_file(
        sheet_rows(statement),
        exported_by=exported_by,
        selection=f"Inbox tab: {scope}; filters: {audited_filters(params)}",
    )
    response = Response(_file_chunks(file), mimetype=CONTENT_TYPE, direct_passthrough=True)
    response.content_length = _size(file)
    return _attachment(response, "xlsx")


@bp.app_context_processor
def _export_words():
    return {"excel_leads_per_sheet": leads_per_sheet()}


def _audited_selection(file_type: str) -> tuple[Select[Lead], inbox.InboxParams]:
    """The statement selecting the leads the inbox filters name, after the audit row.

    The rows are counted first, with the same filters, and the export is bounded to the leads
    that existed at that moment (id ≤ the highest counted), so the audit row written before the
    file states exactly how many rows it holds, even while new leads arrive.
    """
    params = inbox.parse_params(request.args).filters_only()
    ctx = inbox_context()
    rows, last_id = inbox.export_size(params, ctx)
    audit.record_seen(
        "leads_exported",
        detail=f"rows={rows}; file={file_type}; filters={audited_filters(params)}",
    )
    return inbox.export_statement(params, ctx).where(Lead.id <= (last_id or 0)), params


def _attachment(response: Response, extension: str) -> Response:
    day = clock.today().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="leads-{day}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes; closed when sent, or when the client goes away part-way."""
    try:
        while chunk := file.read(FILE_CHUNK):
            yield chunk
    finally:
        file.close()


def _size(file: IO[bytes]) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size
