"""POST /api/v1/inquiries and the API's OpenAPI description.

Thin: the key, idempotency and field rules are the domain's (clinic.leads.api_keys,
idempotency, inquiry_input), the inquiry is stored by intake like the site's form's, and every
answer to a request with a valid key is audited with the key's name.
"""

from __future__ import annotations

import dataclasses
import json

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from clinic import audit, clock
from clinic.api import bp
from clinic.api.openapi import document
from clinic.api.problems import from_http_error, problem
from clinic.automation.intake import owner_for_new_lead
from clinic.database import write_transaction
from clinic.extensions import csrf, limiter
from clinic.leads import api_keys, conditions, idempotency, intake
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.inquiry_input import FieldProblem, check_body
from clinic.models import ApiKey

JSON_TYPES = ("application/json",)
API_KEY_SCOPE = "api-key"
# No key, a wrong one or a revoked one all get these words: they tell a caller nothing about
# which keys exist.
UNAUTHORISED = "Send a valid API key: Authorization: Bearer <key>."
KEY_CACHE = "clinic.api_key"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clinic-api"'}

csrf.exempt(bp)
bp.register_error_handler(HTTPException, from_http_error)


def presented_key() -> ApiKey | None:
    """The active key the request carries, looked up once per request."""
    key = _looked_up_key()
    return key if key is not None and not key.is_revoked else None


def _looked_up_key() -> ApiKey | None:
    """The key named by the Authorization header, revoked or not (kept on the request: the
    rate limiter asks before the view does)."""
    if KEY_CACHE not in request.environ:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        key = api_keys.find_by_secret(secret.strip()) if scheme.lower() == "bearer" else None
        request.environ[KEY_CACHE] = key
    found: ApiKey | None = request.environ[KEY_CACHE]
    return found


def _key_limit() -> str:
    key = presented_key()
    return key.rate_limit if key else api_keys.DEFAULT_RATE_LIMIT


def _key_scope() -> str:
    key = presented_key()
    return f"key-{key.id}" if key else "no-key"


# Counted per key, at the key's own limit; a request without a valid key is answered 401
# before it could count against anyone.
limit_per_key = limiter.limit(
    _key_limit,
    key_func=_key_scope,
    exempt_when=lambda: presented_key() is None,
    methods=["POST"],
    scope=API_KEY_SCOPE,
)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(current_app.config["CLINIC_PUBLIC_URL"], CONSENT_VERSION))


@bp.post("/inquiries")
@limit_per_key
def create_inquiry():
    key = presented_key()
    if key is None:
        _audit_refused_key()
        return problem(401, UNAUTHORISED, headers=BEARER_CHALLENGE)
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    if request.mimetype not in JSON_TYPES:
        return _answer(key, problem(415, "Send the body as application/json."))
    body = request.get_json(silent=True)
    if body is None:
        return _answer(key, problem(400, "The body is not valid JSON."))
    header = request.headers.get("Idempotency-Key")
    idempotency_key = idempotency.checked_key(header) if header is not None else None
    if header is not None and idempotency_key is None:
        detail = "Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID."
        return _answer(key, problem(400, detail))
    hashed = idempotency.body_hash(body)
    if idempotency_key is not None:
        earlier = idempotency.find(key.id, idempotency_key)
        if earlier is not None and (earlier.body_hash != hashed or earlier.response_status):
            return _answer_again(key, earlier, hashed)
    now = clock.now()
    checked = check_body(
        body,
        condition_slugs={slug for slug, _ in conditions.choices(published_only=True)},
        region=current_app.config["CLINIC_PHONE_REGION"],
        consent_versions={CONSENT_VERSION},
        now=now,
    )
    if isinstance(checked, list):
        return _answer(key, _invalid(checked))
    claim = None
    if idempotency_key is not None:
        claim = idempotency.claim(key.id, idempotency_key, hashed, now)
        if claim.body_hash != hashed or claim.response_status:
            return _answer_again(key, claim, hashed)
        # Claimed now, or by an identical request still being answered: storing it is safe
        # either way, since intake turns the second into the first inquiry.
    data = dataclasses.replace(
        checked,
        consent_page=request.path,
        submitted_from=f"API key: {key.name}"[: intake.URL_MAX],
        idempotency_key=(
            idempotency.intake_key(key.id, idempotency_key) if idempotency_key is not None else None
        ),
        channel="api",
        api_key_id=key.id,
        source=key.source_name,
    )
    stored = intake.record_inquiry(data, pick_owner=owner_for_new_lead, now=now)
    body_text = json.dumps({"reference": stored.reference, "status": "received"})
    with write_transaction():
        if claim is not None:
            idempotency.complete(claim.record_id, 201, body_text)
        _used(key, f"inquiry {stored.reference} stored (201)", lead_id=stored.lead_id)
    return Response(body_text, status=201, mimetype="application/json")


def _invalid(problems: list[FieldProblem]) -> Response:
    count = len(problems)
    detail = "1 field is not valid." if count == 1 else f"{count} fields are not valid."
    return problem(422, detail + " Nothing was stored.", errors=problems)


def _answer_again(key: ApiKey, earlier: idempotency.Claim, hashed: str) -> Response:
    """A request whose Idempotency-Key was answered before (a replay), or came with another
    body (a conflict)."""
    if earlier.body_hash != hashed:
        return _answer(
            key,
            problem(
                409,
                "This Idempotency-Key was already used with another body. Use a new key for "
                "a new inquiry; nothing was stored.",
            ),
        )
    response = Response(
        earlier.response_body, status=earlier.response_status, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    with write_transaction():
        _used(key, f"repeated request answered as before ({earlier.response_status})")
    return response


def _answer(key: ApiKey, response: Response) -> Response:
    """A refusal of a request with a valid key, audited with what was refused (no field values)."""
    what = f"refused ({response.status_code})"
    if response.status_code == 422:
        pointers = [e["pointer"] or "/" for e in json.loads(response.get_data()).get("errors", [])]
        what += ": " + ", ".join(pointers)
    with write_transaction():
        _used(key, what)
    return response


def _used(key: ApiKey, what: str, lead_id: int | None = None) -> None:
    now = clock.now()
    api_keys.mark_used(key.id, now)
    audit.record(
        "api_key_used", lead_id=lead_id, detail=f"Key “{key.name}” ({key.prefix}…): {what}"
    )


def _audit_refused_key() -> None:
    """A revoked key still in use is worth an admin's attention; unknown keys are only noise."""
    key = _looked_up_key()
    if key is not None and key.is_revoked:
        with write_transaction():
            audit.record("api_key_refused", detail=f"Revoked key “{key.name}” ({key.prefix}…)")
