"""Application logs: JSON lines in production, a request id on every line, no personal data.

The code never logs a patient's name, contact details, condition or message; the filter here is
the second line of defence. It blanks e-mail addresses, phone numbers and query strings (a staff
search is a person's name) from whatever a library or a careless line might write.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wrappers import Response

EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[A-Za-z]{2,}")
PHONE = re.compile(
    r"\+\d[\d\s().-]{6,}\d"  # international form: +1 212 555 0142, +442079460958
    r"|\(\d{2,4}\)\s*\d{3}[\s.-]?\d{3,4}"  # (212) 555-0142
    r"|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b"  # 212-555-0142
)
QUERY_STRING = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"

_HANDLER_MARK = "_clinic_handler"


def redact(text: str) -> str:
    """Blank what looks like contact details or a query string in one log message."""
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub("[phone]", text)
    return QUERY_STRING.sub(r"\1?[query]", text)


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message (and its exception text) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the current request's, or '-' outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = "-"
        if has_request_context():
            request_id = g.get("request_id", "-")
        record.request_id = request_id
        return True


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PersonalDataFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(log_format: str, level: str) -> None:
    """Install one handler on the root logger (replacing ours from an earlier app, if any)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    started = g.get("request_started")
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    logging.getLogger("clinic.request").info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": elapsed_ms,
        },
    )
    return response


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
