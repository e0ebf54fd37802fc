"""The staff workspace: sign-in, the lead inbox and record, administration."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from clinic.staff import (  # noqa: E402,F401  (routes register on import)
    admin_views,
    appointment_views,
    auth,
    auth_views,
    automation_views,
    bulk_views,
    export_views,
    lead_admin_views,
    lead_record_views,
    lead_views,
    outbox_views,
    password_reset_views,
    report_views,
    sessions,
    two_factor_views,
)
