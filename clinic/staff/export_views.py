"""The inbox's leads as a file for a spreadsheet."""

from __future__ import annotations

from flask import Response, request, stream_with_context

from clinic import audit
from clinic.leads import inbox
from clinic.leads.export import csv_lines, export_records
from clinic.models import Lead
from clinic.staff import bp
from clinic.staff.auth import export_required
from clinic.staff.lead_display import audited_filters, inbox_context


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
    audit.record_seen("leads_exported", detail=f"rows={rows}; filters={audited_filters(params)}")
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
