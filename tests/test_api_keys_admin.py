"""API keys and the website form in the clinic's settings, and `flask api-keys`: keys made by
admins only, shown once, listed with their last use, revocable, every step audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import api_keys, intake
from clinic.models import ApiKey
from tests.lead_helpers import audit_rows, signed_in
from tests.staff_helpers import csrf_token_for

PAGE = "/staff/settings/api-keys"


def test_an_admin_makes_a_key_and_sees_it_once(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    token = csrf_token_for(client, PAGE)

    made = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "name": "Call centre",
            "source_name": "",
            "rate_limit": "30/minute",
        },
    )

    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    secret = re.search(r'id="new-key-secret"[^>]*value="(clk_[^"]+)"', html).group(1)
    # Never again: the list shows the prefix only.
    listed = client.get(PAGE).get_data(as_text=True)
    assert secret not in listed and secret[:12] in listed and "Never" in listed
    with app.app_context():
        [key] = db.session.execute(select(ApiKey)).scalars().all()
        settings = (key.name, key.source_name, key.rate_limit, key.created_by)
        assert settings == ("Call centre", "Call centre", "30/minute", "admin@clinic.test")
        assert key.key_hash == api_keys.fingerprint(secret)
        [entry] = audit_rows("api_key_created")
        assert "Call centre" in entry.detail and secret not in entry.detail


def test_a_limit_that_is_not_one_is_refused_on_the_page(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    token = csrf_token_for(client, PAGE)
    response = client.post(PAGE, data={"csrf_token": token, "name": "X", "rate_limit": "lots"})
    assert response.status_code == 400
    assert "is not a rate limit" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ApiKey)).first() is None


def test_an_admin_revokes_a_key(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context(), write_transaction():
        key_id = api_keys.create_key("Widget", created_by="tests").key.id
    token = csrf_token_for(client, PAGE)
    response = client.post(f"{PAGE}/{key_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Revoked" in client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiKey, key_id).revoked_at is not None
        assert len(audit_rows("api_key_revoked")) == 1


def test_coordinators_and_editors_may_not_manage_keys(app, client):
    signed_in(app, client, "coord@clinic.test")
    assert client.get(PAGE).status_code == 403
    assert client.get("/staff/settings/website-form").status_code == 403


def test_the_website_form_page_gives_the_snippet_and_the_allowed_sites(app, client):
    app.config["EMBED_ALLOWED_ORIGINS"] = ["https://www.example-clinic.com"]
    app.config["CLINIC_PUBLIC_URL"] = "https://clinic.example"
    signed_in(app, client, "admin@clinic.test", role="admin")
    html = client.get("/staff/settings/website-form").get_data(as_text=True)
    assert '&lt;div data-clinic-inquiry&gt;&lt;a href="https://clinic.example/inquire"&gt;' in html
    assert 'src="https://clinic.example/static/js/embed.js" async' in html
    assert "https://www.example-clinic.com" in html and "EMBED_ALLOWED_ORIGINS" in html
    assert 'aria-current="page">Website form' in html


def test_the_cli_creates_lists_and_revokes(runner, ctx):
    created = runner.invoke(
        args=[
            "api-keys",
            "create",
            "Booking widget",
            "--source",
            "widget",
            "--rate-limit",
            "5/minute",
        ]
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    key = api_keys.find_by_secret(secret)
    assert (key.name, key.source_name, key.rate_limit) == ("Booking widget", "widget", "5/minute")
    assert db.session.execute(select(ApiKey.key_hash)).scalar_one() != secret

    listed = runner.invoke(args=["api-keys", "list"])
    assert f"#{key.id}" in listed.output and "never used" in listed.output
    assert secret not in listed.output

    revoked = runner.invoke(args=["api-keys", "revoke", str(key.id)])
    assert revoked.exit_code == 0 and "revoked." in revoked.output
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).revoked_at is not None
    assert [e.action for e in audit_rows("api_key_created") + audit_rows("api_key_revoked")] == [
        "api_key_created",
        "api_key_revoked",
    ]

    refused = runner.invoke(args=["api-keys", "create", "Bad", "--rate-limit", "lots"])
    assert refused.exit_code != 0 and "is not a rate limit" in refused.output


def test_the_lead_record_says_how_the_inquiry_came(app, client, ctx):
    with write_transaction():
        key_id = api_keys.create_key("Call centre", created_by="tests").key.id
    embedded = intake.record_inquiry(
        intake.InquiryData(
            name="Ada Example",
            email="ada@example.com",
            phone=None,
            condition_slug="lupus",
            submitted_from="https://www.example-clinic.com/lupus",
            channel="embed",
            source="embed",
        )
    )
    through_api = intake.record_inquiry(
        intake.InquiryData(
            name="Ben Example",
            email="ben@example.com",
            phone=None,
            condition_slug="lupus",
            channel="api",
            api_key_id=key_id,
        )
    )
    signed_in(app, client, "coord@clinic.test")
    first = client.get(f"/staff/leads/{embedded.lead_id}").get_data(as_text=True)
    assert "Came from the form on https://www.example-clinic.com/lupus (embedded)" in first
    second = client.get(f"/staff/leads/{through_api.lead_id}").get_data(as_text=True)
    assert "Came through the API (key: Call centre)" in second
