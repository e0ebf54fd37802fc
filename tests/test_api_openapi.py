"""The API's OpenAPI description is a valid 3.1 document, and its request schema accepts
exactly what the endpoint accepts: bodies it allows are stored (201), bodies it refuses are
refused (422) at the same JSON pointers. The rules no schema can state (a real phone number, a
published condition, a known consent version…) are listed at the end."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.test_api import api_inquiry, five_minutes_ago, make_key, post

LONG = "x" * 5001


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def request_schema(openapi):
    schema = openapi["components"]["schemas"]["InquiryRequest"]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_it_is_a_valid_openapi_3_1_document(openapi):
    validate(openapi)  # raises on any error
    assert openapi["openapi"].startswith("3.1")
    operation = openapi["paths"]["/inquiries"]["post"]
    assert set(operation["responses"]) >= {"201", "401", "409", "413", "415", "422", "429"}
    assert openapi["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def schema_pointers(validator: Draft202012Validator, body) -> set[str]:
    """Where the schema finds each problem, as JSON pointers the endpoint's problems use."""
    pointers = set()
    for error in validator.iter_errors(body):
        at = "".join(f"/{part}" for part in error.absolute_path)
        if error.validator == "required":
            pointers |= {
                f"{at}/{name}" for name in error.validator_value if name not in error.instance
            }
        elif error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            pointers |= {f"{at}/{name}" for name in error.instance if name not in known}
        else:
            pointers.add(at)
    return pointers


VALID = {
    "phone contact": {},
    "email contact, nothing optional": {
        "phone": ...,
        "message": ...,
        "best_time": ...,
        "payment": ...,
        "attribution": ...,
        "preferred_contact": "email",
    },
    "text messages, agreed": {"preferred_contact": "sms", "sms_consent": True},
    "optional fields null": {
        "preferred_contact": "email",
        "phone": None,
        "message": None,
        "best_time": None,
        "payment": None,
        "sms_consent": None,
        "attribution": None,
    },
    "pages in attribution": {
        "attribution": {
            "referrer": "https://www.google.com/",
            "landing_page": "https://www.example-clinic.com/lupus",
            "utm_term": None,
        }
    },
    "another condition": {"condition": "other"},
    "international phone": {"phone": "+44 20 7946 0958"},
}

INVALID = {
    "no name": ({"name": ...}, {"/name"}),
    "empty name": ({"name": ""}, {"/name"}),
    "name too long": ({"name": "Zoë " + "a" * 200}, {"/name"}),
    "name not a string": ({"name": 42}, {"/name"}),
    "no email": ({"email": ...}, {"/email"}),
    "email too long": ({"email": "a" * 310 + "@example.com"}, {"/email"}),
    "unknown field": ({"age": 52}, {"/age"}),
    "no way to answer": ({"preferred_contact": ...}, {"/preferred_contact"}),
    "fax": ({"preferred_contact": "fax"}, {"/preferred_contact"}),
    "a call without a phone": ({"phone": ...}, {"/phone"}),
    "a call with an empty phone": ({"phone": ""}, {"/phone"}),
    "phone too long": ({"phone": "2" * 41}, {"/phone"}),
    "texts not agreed": ({"preferred_contact": "sms"}, {"/sms_consent"}),
    "texts refused": ({"preferred_contact": "sms", "sms_consent": False}, {"/sms_consent"}),
    "sms_consent not a boolean": ({"sms_consent": "yes"}, {"/sms_consent"}),
    "best time not a choice": ({"best_time": "noon"}, {"/best_time"}),
    "payment not a choice": ({"payment": "cash"}, {"/payment"}),
    "message too long": ({"message": LONG}, {"/message"}),
    "condition not a slug": ({"condition": "Lupus!"}, {"/condition"}),
    "no condition": ({"condition": ...}, {"/condition"}),
    "no consent": ({"consent": ...}, {"/consent"}),
    "empty consent": ({"consent": {}}, {"/consent/text_version", "/consent/given_at"}),
    "consent time not a time": (
        {"consent": {"text_version": "2026-11-28", "given_at": "yesterday"}},
        {"/consent/given_at"},
    ),
    "consent with more": (
        {"consent": {"text_version": "2026-11-28", "given_at": "@", "signature": "x"}},
        {"/consent/given_at", "/consent/signature"},
    ),
    "attribution not an object": ({"attribution": "google"}, {"/attribution"}),
    "utm too long": ({"attribution": {"utm_source": "x" * 201}}, {"/attribution/utm_source"}),
    "landing page not a web page": (
        {"attribution": {"landing_page": "ftp://example.com/"}},
        {"/attribution/landing_page"},
    ),
    "unknown attribution": ({"attribution": {"gclid": "abc"}}, {"/attribution/gclid"}),
}


def body_with(changes: dict) -> dict:
    body = api_inquiry(**changes)
    if "consent" not in changes:
        body["consent"]["given_at"] = five_minutes_ago()
    return body


@pytest.mark.parametrize("changes", VALID.values(), ids=VALID.keys())
def test_what_the_schema_accepts_is_stored(client, ctx, request_schema, changes):
    _, secret = make_key()
    body = body_with(changes)
    assert schema_pointers(request_schema, body) == set()
    response = post(client, secret, body)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("changes, pointers", INVALID.values(), ids=INVALID.keys())
def test_what_the_schema_refuses_is_refused_at_the_same_pointers(
    client, ctx, request_schema, changes, pointers
):
    _, secret = make_key()
    body = body_with(changes)
    assert schema_pointers(request_schema, body) == pointers
    response = post(client, secret, body)
    assert response.status_code == 422
    assert {error["pointer"] for error in response.get_json()["errors"]} == pointers


def test_a_body_that_is_not_an_object_is_refused_at_the_root(client, ctx, request_schema):
    _, secret = make_key()
    assert schema_pointers(request_schema, ["Zoë"]) == {""}
    response = post(client, secret, ["Zoë"])
    assert response.status_code == 422
    assert [error["pointer"] for error in response.get_json()["errors"]] == [""]


# The rules only the endpoint knows, described in words in the schema.
BEYOND_THE_SCHEMA = {
    "a name without letters": ({"name": "12345"}, "/name"),
    "a number that can't exist": ({"phone": "555"}, "/phone"),
    "an address no mail reaches": ({"email": "zoe@clinic.test"}, "/email"),
    "a condition not published": ({"condition": "not-a-condition"}, "/condition"),
    "an unknown consent version": (
        {"consent": {"text_version": "1999-01-01", "given_at": "2026-01-01T09:00:00Z"}},
        "/consent/text_version",
    ),
    "consent given in the future": (
        {"consent": {"text_version": "2026-11-28", "given_at": "2999-01-01T09:00:00Z"}},
        "/consent/given_at",
    ),
}


@pytest.mark.parametrize(
    "changes, pointer", BEYOND_THE_SCHEMA.values(), ids=BEYOND_THE_SCHEMA.keys()
)
def test_rules_beyond_the_schema_are_refused_by_the_endpoint(
    client, ctx, request_schema, changes, pointer
):
    _, secret = make_key()
    body = body_with(changes)
    assert schema_pointers(request_schema, body) == set()
    response = post(client, secret, body)
    assert response.status_code == 422
    assert [error["pointer"] for error in response.get_json()["errors"]] == [pointer]
