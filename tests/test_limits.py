"""Rate limits on the inquiry form and staff sign-in, in memory and in Redis."""

from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import Inquiry
from config import TestingConfig
from tests.conftest import csrf_token_from, form_token_from, valid_inquiry

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """The limiter's storage URI and a key prefix of this test's own (parallel runs can't mix)."""
    prefix = f"clinic-test-{uuid.uuid4().hex}"
    if request.param == "memory":
        yield "memory://", prefix
        return
    if not redis_available():
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    yield REDIS_URL, prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def limited_app(database_url, storage, **overrides):
    uri, prefix = storage
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": uri,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_INQUIRY": "5/minute;30/day",
        "RATELIMIT_LOGIN": "3/minute",
    }
    settings.update(overrides)
    return create_app(TestingConfig, **settings)


def post_inquiry(client, forwarded_for: str | None = None, number: int = 0):
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(
        email=f"patient{number}@example.com",
        phone=f"212555{number:04d}",
        csrf_token=csrf_token_from(html),
        form_token=form_token_from(html),
    )
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/inquire", data=data, headers=headers)


def stored_inquiries(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Inquiry.id))).scalar_one()


def test_sixth_inquiry_in_a_minute_gets_the_friendly_429_page(app, database_url, storage):
    limited = limited_app(database_url, storage)
    client = limited.test_client()
    statuses = [post_inquiry(client, number=n).status_code for n in range(5)]
    assert statuses == [303] * 5
    refused = post_inquiry(client, number=6)
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Too many requests" in html
    assert "call us at" in html and "+1 555 010 0199" in html
    assert 'class="site-header"' in html
    assert stored_inquiries(limited) == 5
    # Reading the form is never limited; only sending it is.
    assert client.get("/inquire").status_code == 200


def test_forged_forwarded_for_does_not_escape_the_limit(app, database_url, storage):
    limited = limited_app(database_url, storage)
    client = limited.test_client()
    statuses = [
        post_inquiry(client, forwarded_for=f"198.51.100.{n}", number=n).status_code
        for n in range(7)
    ]
    assert statuses == [303] * 5 + [429] * 2
    assert stored_inquiries(limited) == 5


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(app, database_url, storage):
    limited = limited_app(database_url, storage, TRUSTED_PROXIES=1)
    client = limited.test_client()
    first = [post_inquiry(client, "198.51.100.1", number=n).status_code for n in range(6)]
    assert first == [303] * 5 + [429]
    assert post_inquiry(client, "198.51.100.2", number=9).status_code == 303


def test_staff_sign_in_is_limited_per_address(app, database_url, storage):
    limited = limited_app(database_url, storage)
    client = limited.test_client()
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    form = {"email": "someone@clinic.test", "password": "wrong password", "csrf_token": token}
    statuses = [client.post("/staff/login", data=form).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert client.get("/staff/login").status_code == 200


def test_redis_storage_holds_the_counts(app, database_url, storage):
    uri, prefix = storage
    if not uri.startswith("redis"):
        pytest.skip("only meaningful for Redis storage")
    post_inquiry(limited_app(database_url, storage).test_client())
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
    assert keys, "no rate-limit counter was written to Redis"


def test_limits_can_be_turned_off(app, submit_inquiry):
    assert app.config["RATELIMIT_ENABLED"] is False
    assert [submit_inquiry(email=f"p{n}@example.com").status_code for n in range(7)] == [303] * 7


def test_an_unreachable_redis_does_not_turn_patients_away(app, database_url):
    storage = ("redis://127.0.0.1:1/0", f"clinic-test-{uuid.uuid4().hex}")
    limited = limited_app(database_url, storage)
    client = limited.test_client()
    assert [post_inquiry(client, number=n).status_code for n in range(6)] == [303] * 5 + [429]
