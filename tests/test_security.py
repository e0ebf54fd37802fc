"""Security controls: headers, caching, cookies, trusted hosts and proxies, error pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEntry, Inquiry
from config import ProductionConfig, TestingConfig
from tests.conftest import csrf_token_from, form_token_from, valid_inquiry
from tests.staff_helpers import make_staff, sign_in

LIBRARY_WORDS = ("Traceback", "sqlalchemy", "SQLAlchemy", "sqlite3", "psycopg", "Werkzeug", "jinja")


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "*" not in directives.get("script-src", directives["default-src"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_public_pages_carry_the_security_headers(client):
    for path in ("/", "/conditions/", "/inquire", "/sitemap.xml", "/no-such-page"):
        assert_security_headers(client.get(path))


def test_condition_page_keeps_its_json_ld_without_unsafe_inline(client):
    response = client.get("/conditions/lupus")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = re.search(r'<script type="application/ld\+json">(.+?)</script>', html, re.S)
    assert match and '"MedicalWebPage"' in match.group(1)
    # No executable inline script: the only inline <script> is the JSON-LD data block.
    assert re.findall(r"<script(?![^>]*application/ld\+json)[^>]*>\s*[^<\s]", html) == []
    assert_security_headers(response)


def test_staff_pages_carry_the_headers_and_are_never_cached(app, client):
    with app.app_context():
        make_staff("casey@clinic.test")
    login_page = client.get("/staff/login")
    assert_security_headers(login_page)
    assert login_page.headers["Cache-Control"] == "no-store"
    assert sign_in(client, "casey@clinic.test").status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 200
    assert_security_headers(home)
    assert home.headers["Cache-Control"] == "no-store"
    missing = client.get("/staff/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["Cache-Control"] == "no-store"


def test_pages_with_personal_data_or_a_form_are_not_stored(client, submit_inquiry):
    assert client.get("/inquire").headers["Cache-Control"] == "no-store"
    assert client.get("/conditions/lupus").headers["Cache-Control"] == "no-store"
    response = submit_inquiry()
    assert response.status_code == 303
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/inquire/thanks").headers["Cache-Control"] == "no-store"


def test_pages_without_personal_data_stay_cacheable(client):
    client.get("/")  # first visit stores attribution in the session
    for path in ("/sitemap.xml", "/robots.txt", "/static/css/clinic.css"):
        assert client.get(path).headers.get("Cache-Control") != "no-store", path


def test_hsts_only_in_production(database_url, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    production = create_app(
        ProductionConfig, SECRET_KEY="p" * 64, SQLALCHEMY_DATABASE_URI=database_url
    )
    response = production.test_client().get("/", base_url="https://clinic.test")
    max_age = int(re.match(r"max-age=(\d+)", response.headers["Strict-Transport-Security"])[1])
    assert max_age >= 365 * 24 * 3600


def test_production_cookies_are_secure_httponly_and_lax(database_url):
    production = create_app(
        ProductionConfig, SECRET_KEY="p" * 64, SQLALCHEMY_DATABASE_URI=database_url
    )
    response = production.test_client().get("/inquire", base_url="https://clinic.test")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags


def test_foreign_host_header_is_refused_when_trusted_hosts_is_set(app, client):
    app.config["TRUSTED_HOSTS"] = ["clinic.example.org"]
    refused = client.get("/", headers={"Host": "evil.example.net"})
    assert refused.status_code == 400
    assert "We couldn't read that request" in refused.get_data(as_text=True).replace("&#39;", "'")
    assert client.get("/", headers={"Host": "clinic.example.org"}).status_code == 200


def test_a_20_mb_body_gets_the_413_page(client):
    response = client.post(
        "/inquire",
        data=b"x" * (20 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def _failed_sign_in_ip(test_app) -> str:
    client = test_app.test_client()
    sign_in(client, "nobody@clinic.test")
    with test_app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "sign_in_failed")
        ).scalar_one()
        return entry.ip


def test_forwarded_for_is_ignored_without_trusted_proxies(app, database_url):
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    sign_in(client, "nobody@clinic.test")
    with app.app_context():
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        assert entry.ip == "127.0.0.1"


def test_forwarded_for_is_used_behind_one_trusted_proxy(app, database_url):
    proxied = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1)
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7, 203.0.113.9"
    sign_in(client, "nobody@clinic.test")
    with proxied.app_context():
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        # One trusted hop: the address the proxy saw, not what the client claimed before it.
        assert entry.ip == "203.0.113.9"


@pytest.fixture
def failing_app(database_url):
    """An app with routes that fail the ways production can, registered before any request."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret detail in /srv/clinic/app.py line 12")

    @app.get("/__database-down")
    def database_down():
        raise OperationalError("SELECT * FROM leads", {}, Exception("connection refused"))

    @app.get("/__forbidden")
    def forbidden():
        from flask import abort

        abort(403)

    return app


@pytest.mark.parametrize(
    ("method", "path", "code", "text"),
    [
        ("get", "/__forbidden", 403, "have permission"),
        ("get", "/no-such-page", 404, "find that page"),
        ("delete", "/inquire", 405, "can't be used that way"),
        ("get", "/__boom", 500, "something went wrong on our side"),
        ("get", "/__database-down", 503, "couldn't save or load your request"),
    ],
)
def test_error_pages_are_friendly_and_leak_nothing(failing_app, method, path, code, text):
    response = getattr(failing_app.test_client(), method)(path)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == code
    assert text in html
    assert 'class="site-header"' in html  # in the site's layout
    for word in (*LIBRARY_WORDS, "secret detail", "SELECT"):
        assert word not in html
    if code == 503:
        assert response.headers["Retry-After"] == "30"
        assert "+1 555 010 0199" in html


def test_bad_csrf_token_gets_the_400_page(client):
    response = client.post("/staff/login", data={"email": "a@b.test", "password": "x"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_production_behind_a_proxy_accepts_a_same_origin_https_inquiry(app, database_url):
    production = create_app(
        ProductionConfig,
        SECRET_KEY="p" * 64,
        SQLALCHEMY_DATABASE_URI=database_url,
        TRUSTED_PROXIES=1,
        TRUSTED_HOSTS=["clinic.example.org"],
        RATELIMIT_ENABLED=False,
    )
    client = production.test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    base = "http://clinic.example.org"  # plain HTTP between nginx and gunicorn
    html = client.get("/inquire", base_url=base, headers=proxy).get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    # The secure session cookie was set because the proxy said the visitor used HTTPS.
    without_referer = client.post("/inquire", base_url=base, headers=proxy, data=data)
    assert without_referer.status_code == 400  # Flask-WTF's HTTPS referrer check
    sent = client.post(
        "/inquire",
        base_url=base,
        headers={**proxy, "Referer": "https://clinic.example.org/inquire"},
        data=data,
    )
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/inquire/thanks"
    with production.app_context():
        assert db.session.execute(select(func.count(Inquiry.id))).scalar_one() == 1
