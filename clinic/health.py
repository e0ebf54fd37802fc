"""`/healthz` for load balancers and uptime checks: 200 while the database answers, else 503."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clinic.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Says only whether the site can serve patients; never which database or why."""
    try:
        db.session.execute(text("SELECT 1"))
    except (DBAPIError, PoolTimeoutError) as error:
        current_app.logger.error("health check: database unavailable: %s", type(error).__name__)
        return jsonify(status="unavailable", database="unavailable"), 503
    finally:
        # Give the connection back at once: a dead one is discarded, not kept for a patient.
        db.session.remove()
    return jsonify(status="ok", database="ok")
