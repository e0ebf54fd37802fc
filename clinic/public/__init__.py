"""The patients' side: educational pages and the inquiry form."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from clinic.public import (  # noqa: E402,F401  (routes register on import)  # noqa: E402,F401
    booking_views,  # noqa: E402,F401
    catalogue_views,
    embed_views,  # noqa: E402,F401
    logo,
    privacy_notice,
    views,
)
