"""The API's OpenAPI 3.1 description, built from the same limits and choices the checks use.

tests/test_api_openapi.py holds the request schema against the endpoint: bodies it accepts
are stored, bodies it refuses are refused at the same pointers. Rules a schema can't express
(a phone number that exists, a name with letters, a published condition, a known consent
version) are described in words and enforced only by clinic.leads.inquiry_input.
"""

from __future__ import annotations

from typing import Any

from clinic.leads import inquiry_input, intake
from clinic.leads.idempotency import KEY_MAX

PROBLEM_JSON = "application/problem+json"


def _codes(choices: list[tuple[str, str]]) -> list[str]:
    return [code for code, _ in choices]


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """A field that may be left out or sent as null."""
    return {**schema, "type": [schema["type"], "null"]}


def _text(maximum: int, description: str, *, required: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": maximum, "description": description}
    if required:
        schema["minLength"] = 1
    return schema


def inquiry_schema() -> dict[str, Any]:
    """The request body of POST /inquiries as JSON Schema 2020-12."""
    page = {
        "type": ["string", "null"],
        "maxLength": intake.URL_MAX,
        "pattern": "^https?://[^/?#\\s]+",
    }
    utm = {"type": ["string", "null"], "maxLength": intake.ATTRIBUTION_MAX}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "email", "condition", "preferred_contact", "consent"],
        "properties": {
            "name": _text(
                intake.NAME_MAX, "The person's name; it must contain a letter.", required=True
            ),
            "email": _text(
                intake.EMAIL_MAX,
                "An email address the clinic can reply to (checked as the site's form does).",
                required=True,
            ),
            "phone": _optional(
                _text(
                    inquiry_input.PHONE_MAX,
                    "A phone number, national (in the clinic's country) or international with "
                    "+ and the country code. Needed when preferred_contact is phone or sms.",
                )
            ),
            "condition": {
                **_text(
                    inquiry_input.CONDITION_MAX,
                    "The slug of a published condition (as in the site's /conditions/<slug> "
                    "addresses), or 'other'.",
                    required=True,
                ),
                "pattern": "^[a-z0-9-]+$",
            },
            "message": _optional(
                _text(intake.MESSAGE_MAX, "The person's question, in their words.")
            ),
            "preferred_contact": {
                "enum": _codes(inquiry_input.PREFERRED_CONTACT),
                "description": "How the person wants to be answered.",
            },
            "best_time": {"enum": [*_codes(inquiry_input.BEST_TIME), None], "default": "any"},
            "payment": {"enum": [*_codes(inquiry_input.PAYMENT), None], "default": "not_sure"},
            "sms_consent": {
                "type": ["boolean", "null"],
                "default": False,
                "description": "The person agreed to text messages; required true for sms.",
            },
            "consent": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text_version", "given_at"],
                "description": "The person agreed to the clinic's consent text to store and "
                "answer the inquiry: its version, and when.",
                "properties": {
                    "text_version": {
                        **_text(
                            inquiry_input.CONSENT_VERSION_MAX,
                            "The version of the consent text shown (the current one is "
                            "given in the API's documentation); others are refused.",
                            required=True,
                        ),
                    },
                    "given_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "RFC 3339 time with offset, not in the future.",
                    },
                },
            },
            "attribution": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {
                    **{name: utm for name in inquiry_input.UTM_FIELDS},
                    "referrer": page,
                    "landing_page": page,
                },
            },
        },
        "allOf": [
            {
                "if": {
                    "required": ["preferred_contact"],
                    "properties": {"preferred_contact": {"enum": ["phone", "sms"]}},
                },
                "then": {
                    "required": ["phone"],
                    "properties": {"phone": {"type": "string", "minLength": 1}},
                },
            },
            {
                "if": {
                    "required": ["preferred_contact"],
                    "properties": {"preferred_contact": {"const": "sms"}},
                },
                "then": {
                    "required": ["sms_consent"],
                    "properties": {"sms_consent": {"const": True}},
                },
            },
        ],
    }


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document(public_url: str, consent_version: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, for a clinic at ``public_url``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clinic lead-capture API",
            "version": "1.0.0",
            "description": "Send the clinic an inquiry from another system (a booking widget, "
            "a call-centre tool). Admins make keys under Clinic settings → API keys. The "
            f"current consent text version is {consent_version}.",
        },
        "servers": [{"url": f"{public_url}/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/inquiries": {
                "post": {
                    "operationId": "createInquiry",
                    "summary": "Send an inquiry",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A unique value per inquiry (a UUID): sending the "
                            "same key and body again returns the first answer and stores "
                            "nothing new; the same key with another body is refused with 409.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/InquiryRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored; the reference is what the person quotes.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/InquiryCreated"}
                                }
                            },
                        },
                        "400": _problem_response("The body is not JSON, or the key header is bad."),
                        "401": _problem_response("No key, an unknown key or a revoked key."),
                        "409": _problem_response("This Idempotency-Key came with another body."),
                        "413": _problem_response("The body is too large."),
                        "415": _problem_response("The body is not application/json."),
                        "422": _problem_response(
                            "Invalid fields: ``errors`` names each by its JSON pointer."
                        ),
                        "429": _problem_response("The key's rate limit: see Retry-After."),
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "InquiryRequest": inquiry_schema(),
                "InquiryCreated": {
                    "type": "object",
                    "required": ["reference", "status"],
                    "properties": {
                        "reference": {"type": "string"},
                        "status": {"const": "received"},
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["pointer", "detail"],
                                "properties": {
                                    "pointer": {"type": "string"},
                                    "detail": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
