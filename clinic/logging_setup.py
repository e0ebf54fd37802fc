"""Application logs: JSON lines in production, a request id on every line, no personal data,
one line per request (the app's; the development server's own is dropped) and no terminal
colour codes.

The code never logs a patient's name, contact details, condition or message; the filter here is
the second line of defence. It blanks e-mail addresses, phone numbers and query strings (a staff
search is a person's name) from whatever a library or a careless line might write, in every field
of the line: the message, the exception, and each extra field such as the request's path,
referrer and user agent.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

# No slash on either side of the @: an address in a path is blanked, not the path around it.
EMAIL = re.compile(r"[^\s@<>()\"',;:/]+@[^\s@<>()\"',;:/]+\.[A-Za-z]{2,}")
PHONE = re.compile(
    r"\+\d[\d\s().-]{6,}\d"  # international form: +1 212 555 0142, +442079460958
    r"|\(\d{2,4}\)\s*\d{3}[\s.-]?\d{3,4}"  # (212) 555-0142
    r"|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b"  # 212-555-0142
)
QUERY_STRING = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")
# Terminal colour codes: werkzeug colours its development server's lines, which in a log file
# or a terminal that doesn't read them are noise ("\x1b[31m\x1b[1mWARNING ...").
TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The development server's line per request ('127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -'),
# as werkzeug hands it to logging: the app's own request line says the same, with the request id
# and the time taken.
DEV_SERVER_REQUEST = re.compile(r'^\S+ - - \[[^\]]*\] "%s" %s %s$')
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
HEADER_MAX = 300

_HANDLER_MARK = "_clinic_handler"


def redact(text: str) -> str:
    """Blank what looks like contact details or a query string in one log message."""
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub("[phone]", text)
    return QUERY_STRING.sub(r"\1?[query]", text)


def redact_value(value: object) -> object:
    """`redact` applied to a log field: text, or the text inside a list or a mapping."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message, exception and stack text through `redact`, for every
    handler that formats the record after ours."""

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
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingJsonFormatter(JsonFormatter):
    """A JSON line whose every field is redacted, not only the message: the extra fields
    (path, referrer, user agent …) and the exception, which this formatter writes afresh from
    the record's exc_info rather than from the filtered text."""

    def process_log_record(self, log_data: dict) -> dict:
        return {key: redact_value(value) for key, value in log_data.items()}


class DevServerRequestFilter(logging.Filter):
    """Drops the development server's line per request, so each request is logged once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "werkzeug"
            and isinstance(record.msg, str)
            and DEV_SERVER_REQUEST.match(record.msg)
        )


class PlainTextFilter(logging.Filter):
    """Takes terminal colour codes out of the message (after PersonalDataFilter has put the
    arguments into it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "\x1b" in record.msg:
            record.msg = TERMINAL_CODES.sub("", record.msg)
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
            RedactingJsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(DevServerRequestFilter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PersonalDataFilter())
    handler.addFilter(PlainTextFilter())
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
    # An incoming id goes into every line as it is: one that looks like a phone number is replaced.
    usable = REQUEST_ID.match(incoming) and redact(incoming) == incoming
    g.request_id = incoming if usable else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _referrer() -> str | None:
    """The referring page without its query (a search elsewhere can be a name), its path
    decoded so that an address written %40 is redacted like any other."""
    if not request.referrer:
        return None
    page = urlsplit(request.referrer)
    query = "?[query]" if page.query else ""
    return f"{page.scheme}://{page.netloc}{_without_token(unquote(page.path))}{query}"[:HEADER_MAX]


def _without_token(path: str) -> str:
    """A path of ours whose route carries a ``<token>`` (a patient who came from their booking
    link) as the route's pattern; any other path as it is."""
    try:
        rule, arguments = current_app.url_map.bind("").match(path, return_rule=True)
    except HTTPException:  # not one of our routes (or a redirect): nothing of ours to hide
        return path
    return rule.rule if "token" in arguments else path


def _logged_path() -> str:
    """The path, except that a route's ``<token>`` part (a calendar feed's secret, a patient's
    booking link) is written as the route's pattern: a log line must not hand out the key."""
    rule = request.url_rule
    if rule is not None and "token" in rule.arguments:
        return rule.rule
    return request.path


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    started = g.get("request_started")
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    logging.getLogger("clinic.request").info(
        "%s %s %s",
        request.method,
        path := _logged_path(),
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": elapsed_ms,
            "referrer": _referrer(),
            "user_agent": request.user_agent.string[:HEADER_MAX] or None,
        },
    )
    return response


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
