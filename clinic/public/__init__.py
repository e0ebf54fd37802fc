"""The patients' side: educational pages and the inquiry form."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from clinic.public import views  # noqa: E402,F401  (routes register on import)
