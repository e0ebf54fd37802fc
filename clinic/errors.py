"""Error pages in the site's layout: never a traceback, SQL text or library name."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic.extensions import db

TITLES = {
    400: "We couldn't read that request",
    403: "You don't have access to this page",
    404: "We couldn't find that page",
    405: "That action isn't available here",
    413: "That was too much to send",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "We're briefly unavailable",
}

INQUIRY_ENDPOINTS = {"public.inquire"}


def render_error(code: int, description: str | None = None):
    if has_request_context() and request_ctx.url_adapter is None:
        # No URLs can be built (an untrusted Host header): a bare page without the layout.
        title = escape(TITLES.get(code, "Error"))
        return f"<!doctype html><title>{title}</title><h1>{title}</h1>", code
    return (
        render_template(
            "errors/error.html", code=code, title=TITLES.get(code, "Error"), description=description
        ),
        code,
    )


def _csrf_failed(error: CSRFError):
    """An expired or missing token must never lose what a patient typed: show it all again."""
    if request.endpoint in INQUIRY_ENDPOINTS:
        from clinic.public.inquiry_page import new_inquiry_form

        form = new_inquiry_form()
        return (
            render_template("public/inquire.html", form=form, resend_notice=True),
            400,
        )
    return render_error(
        400, "This form had expired. Please go back, reload the page and try again."
    )


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


RETRY_AFTER_SECONDS = 30


def _database_unavailable(error: Exception):
    """Down, restarting or locked: a 503 that asks to retry. The next request reconnects."""
    current_app.logger.error("database unavailable: %s", type(error).__name__)
    try:
        db.session.rollback()
    except DBAPIError:
        # The connection is already gone; the pool discards it (and pre-ping checks the next).
        current_app.logger.warning("rollback after database error failed")
    body, code = render_error(503)
    return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _unexpected(error: Exception):
    original = getattr(error, "original_exception", error)
    if isinstance(original, PoolTimeoutError) or (
        isinstance(original, DBAPIError) and _is_connection_problem(original)
    ):
        return _database_unavailable(original)
    current_app.logger.exception("unhandled error")
    return render_error(500)


def _is_connection_problem(error: DBAPIError) -> bool:
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return bool(getattr(error, "connection_invalidated", False))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(InternalServerError, _unexpected)
