"""The staff workspace: sign-in, the lead inbox and record, administration."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from clinic.staff import (  # noqa: E402,F401  (routes register on import)
    admin_views,
    api_key_views,
    appointment_views,
    auth,
    auth_views,
    automation_views,
    availability_views,
    bulk_views,
    calendar_views,
    catalogue_views,
    consent_display,
    content_views,
    export_views,
    import_views,
    lead_admin_views,
    lead_record_views,
    lead_views,
    outbox_views,
    password_reset_views,
    report_views,
    sessions,
    settings_views,
    two_factor_views,
)
