"""The lead-capture API: other systems send inquiries with a key (docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from clinic.api import views  # noqa: E402,F401  (routes register on import)
