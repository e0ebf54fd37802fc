"""Errors as RFC 9457 problem details (application/problem+json), never an HTML page.

Every problem here is one its HTTP status describes fully, so its type is "about:blank" and its
title the status's phrase (RFC 9457 section 4.2.1); a 422 adds an ``errors`` list naming each
invalid field by its JSON pointer into the request body, as the RFC's own example does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus

from flask import Response
from werkzeug.exceptions import HTTPException

from clinic.leads.inquiry_input import FieldProblem

PROBLEM_JSON = "application/problem+json"
# RFC 9110's names where Python's (older RFCs') differ.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def problem(
    status: int,
    detail: str,
    *,
    errors: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    listed = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    if listed:
        body["errors"] = listed
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


# What the API says for the HTTP errors raised outside its own checks.
DETAILS = {
    400: "The request could not be read.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The body is larger than the API accepts.",
    429: "Too many requests with this key: wait, then send again.",
    500: "Something went wrong on our side; nothing was stored. Please send it again.",
}


def from_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if status == 405 and error.response is None:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return problem(status, DETAILS.get(status, HTTPStatus(status).description), headers=headers)
