"""The lead-capture API: a key, a JSON inquiry, one stored inquiry per Idempotency-Key, and every
refusal as problem details that point at what to fix."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import api_keys
from clinic.leads.consent import CONSENT_VERSION
from clinic.models import ApiKey, IdempotencyRecord, Inquiry, Lead, OutboxMessage
from config import TestingConfig
from tests.lead_helpers import audit_rows

PROBLEM = "application/problem+json"


def make_key(name: str = "Call centre", **options) -> tuple[int, str]:
    with write_transaction():
        made = api_keys.create_key(name, created_by="tests", **options)
    return made.key.id, made.secret


def five_minutes_ago() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat()


def api_inquiry(**overrides) -> dict:
    body = {
        "name": "Zoë Núñez",
        "email": "zoe.nunez@example.com",
        "phone": "(212) 555-0142",
        "condition": "lupus",
        "message": "What do the studies show?",
        "preferred_contact": "phone",
        "best_time": "morning",
        "payment": "not_sure",
        "consent": {"text_version": CONSENT_VERSION, "given_at": five_minutes_ago()},
        "attribution": {"utm_source": "partner", "utm_campaign": "winter"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def post(client, secret: str | None, body, *, key: str | None = None, **headers):
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/inquiries", json=body, headers=headers)


def inquiries() -> list[Inquiry]:
    return list(db.session.execute(select(Inquiry).order_by(Inquiry.id)).scalars())


def test_a_valid_inquiry_is_stored_with_the_keys_source_and_consent(client, ctx, frozen_clock):
    key_id, secret = make_key("Call centre", source_name="call-centre")

    response = post(client, secret, api_inquiry())

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    answer = response.get_json()
    [inquiry] = inquiries()
    assert answer == {"reference": inquiry.reference, "status": "received"}
    assert inquiry.channel == "api" and inquiry.api_key_id == key_id
    assert inquiry.phone == "+12125550142" and inquiry.email == "zoe.nunez@example.com"
    assert inquiry.consent_version == CONSENT_VERSION
    assert inquiry.consent_at == datetime.now(UTC) - timedelta(minutes=5)
    assert inquiry.utm_source == "partner" and inquiry.utm_campaign == "winter"
    assert inquiry.submitted_from == "API key: Call centre"
    lead = db.session.get(Lead, inquiry.lead_id)
    assert lead.source == "call-centre"
    # The same acknowledgement and staff alert as the site's form.
    kinds = db.session.execute(select(OutboxMessage.kind)).scalars().all()
    assert sorted(kinds) == ["acknowledgement", "staff_new_inquiry"]
    key = db.session.get(ApiKey, key_id)
    assert key.last_used_at is not None
    [used] = audit_rows("api_key_used")
    assert f"inquiry {inquiry.reference} stored (201)" in used.detail
    assert "Call centre" in used.detail and "Zoë" not in used.detail
    assert used.lead_id == lead.id


def test_a_repeat_with_the_same_key_and_body_answers_the_same_and_stores_nothing(client, ctx):
    _, secret = make_key()
    body = api_inquiry()
    first = post(client, secret, body, key="7d1c2a0e-order-1")
    # The same JSON, keys in another order, is the same body.
    reordered = dict(reversed(list(body.items())))
    again = post(client, secret, reordered, key="7d1c2a0e-order-1")

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(inquiries()) == 1
    assert db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar() == 1


def test_the_same_key_with_another_body_is_a_conflict(client, ctx):
    _, secret = make_key()
    body = api_inquiry()
    assert post(client, secret, body, key="order-2").status_code == 201

    response = post(client, secret, {**body, "message": "Another question"}, key="order-2")

    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert response.get_json()["title"] == "Conflict"
    assert len(inquiries()) == 1


def test_each_key_has_its_own_idempotency_keys(client, ctx):
    _, first_secret = make_key("One")
    _, second_secret = make_key("Two")
    body = api_inquiry()
    assert post(client, first_secret, body, key="shared").status_code == 201
    assert post(client, second_secret, body, key="shared").status_code == 201
    assert len(inquiries()) == 2


def test_without_a_key_or_with_a_revoked_one_the_answer_is_401(client, ctx):
    key_id, secret = make_key()
    with write_transaction():
        api_keys.revoke(db.session.get(ApiKey, key_id))

    for headers in ({}, {"Authorization": f"Bearer {secret}"}, {"Authorization": "Bearer clk_x"}):
        response = client.post("/api/v1/inquiries", json=api_inquiry(), headers=headers)
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["status"] == 401
    assert inquiries() == []
    [refused] = audit_rows("api_key_refused")
    assert "Revoked key “Call centre”" in refused.detail


def test_invalid_fields_are_problem_details_with_a_pointer_each(client, ctx, frozen_clock):
    _, secret = make_key()
    body = api_inquiry(
        email="zoe@",
        phone=None,
        condition="not-a-condition",
        consent={"text_version": "1999-01-01", "given_at": "2030-01-01T00:00:00Z"},
        attribution={"landing_page": "javascript:alert(1)", "colour": "blue"},
    )

    response = post(client, secret, body)

    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["type"] == "about:blank" and problem["status"] == 422
    assert problem["title"] == "Unprocessable Content"
    details = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert details == {
        "/email": "Please add the part after the @, like “example.com” in name@example.com.",
        "/phone": "You chose a phone call, so we need your phone number. Please enter it, or "
        "choose email instead.",
        "/condition": "Please choose a condition, or “Another condition, or not sure”.",
        "/consent/text_version": "This consent text version is not known; the current one "
        f"is {CONSENT_VERSION}.",
        "/consent/given_at": "This time is in the future.",
        "/attribution/landing_page": "This must be an http or https address.",
        "/attribution/colour": "This field is not part of an inquiry.",
    }
    assert inquiries() == []
    [used] = audit_rows("api_key_used")
    assert "refused (422): /email" in used.detail


def test_the_form_rules_apply_missing_consent_and_sms_without_agreement(client, ctx):
    _, secret = make_key()
    body = api_inquiry(preferred_contact="sms", consent=...)
    details = {e["pointer"]: e["detail"] for e in post(client, secret, body).get_json()["errors"]}
    assert details == {
        "/sms_consent": "You chose text messages, so please tick the box allowing us to text "
        "you, or choose another way to contact you.",
        "/consent": "Please tick the consent box so we may store and answer your inquiry.",
    }


def test_a_body_that_is_not_json_is_refused(client, ctx):
    _, secret = make_key()
    headers = {"Authorization": f"Bearer {secret}"}
    as_form = client.post("/api/v1/inquiries", data={"name": "Zoë"}, headers=headers)
    assert as_form.status_code == 415 and as_form.mimetype == PROBLEM
    broken = client.post(
        "/api/v1/inquiries", data="{", content_type="application/json", headers=headers
    )
    assert broken.status_code == 400 and broken.mimetype == PROBLEM


def test_a_body_too_large_is_413(app, ctx):
    _, secret = make_key()
    app.config["API_MAX_BODY_BYTES"] = 1024
    response = post(app.test_client(), secret, api_inquiry(message="x" * 2000))
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    assert inquiries() == []


def test_a_bad_idempotency_key_header_is_400(client, ctx):
    _, secret = make_key()
    response = post(client, secret, api_inquiry(), key="two words")
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_each_key_is_limited_at_its_own_rate(database_url):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX="test-api-rate",
    )
    with app.app_context():
        _, slow = make_key("Slow", rate_limit="2/minute")
        _, other = make_key("Other", rate_limit="5/minute")
        client = app.test_client()
        answers = [post(client, slow, api_inquiry(email=f"p{n}@example.com")) for n in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 429]
        refused = answers[-1]
        assert refused.mimetype == PROBLEM
        assert int(refused.headers["Retry-After"]) > 0
        # Another key has its own count.
        assert post(client, other, api_inquiry(email="p9@example.com")).status_code == 201
        db.session.remove()


def test_two_identical_requests_at_once_store_one_inquiry(app, database_url):
    """Both requests pass the 'seen before?' check together; the unique claim decides."""
    if database_url.startswith("sqlite") and ":memory:" in database_url:
        pytest.skip("needs a database two connections share")
    with app.app_context():
        _, secret = make_key()
    body = api_inquiry()
    barrier = threading.Barrier(4)
    answers = []

    def send():
        client = app.test_client()
        barrier.wait()
        answers.append(post(client, secret, body, key="at-once"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.get_json()["reference"] for a in answers}) == 1
    with app.app_context():
        assert len(inquiries()) == 1


def test_the_key_is_stored_only_as_its_hash(ctx):
    key_id, secret = make_key()
    key = db.session.get(ApiKey, key_id)
    assert secret.startswith("clk_") and len(secret) > 40
    assert key.key_hash == api_keys.fingerprint(secret) and secret not in key.key_hash
    assert key.prefix == secret[:12]
    assert api_keys.find_by_secret(secret).id == key_id


@pytest.mark.parametrize("limit", ["lots", "5 per", "", "x" * 101])
def test_a_rate_limit_must_be_one(ctx, limit):
    with pytest.raises(api_keys.ApiKeyError):
        make_key(rate_limit=limit)


def test_consent_given_long_ago_is_kept_as_given(client, ctx, frozen_clock):
    _, secret = make_key()
    given = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    body = api_inquiry(consent={"text_version": CONSENT_VERSION, "given_at": given})
    assert post(client, secret, body).status_code == 201
    assert inquiries()[0].consent_at == datetime.fromisoformat(given)
    assert json.loads(json.dumps(given))
