"""The inquiry form framed on the clinic's own site: framable only there, working without any
cookie, with the site form's rules, and recording the page it was sent from.

(The same journey in Chromium with third-party cookies blocked: tests/browser/test_embed.py.)
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Inquiry, Lead, OutboxMessage
from tests.conftest import form_token_from, valid_inquiry

PARENT = "https://www.northfield-clinic.example"
EMBED_TOKEN = re.compile(r'name="embed_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def embed_app(app):
    app.config["EMBED_ALLOWED_ORIGINS"] = [PARENT, "https://*.partner.example", "bad; script-src *"]
    return app


@pytest.fixture
def frame(embed_app):
    """A client that keeps no cookies: what a frame gets where third-party cookies are blocked."""
    return embed_app.test_client(use_cookies=False)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def load(frame, **extra):
    address = f"{PARENT}/treatments/lupus?utm_source=spring&email=zoe@example.com#top"
    params = {
        "page": address,
        "ref": "https://www.google.com/",
        "utm_source": "spring",
        "utm_campaign": "lupus-2027",
        **extra,
    }
    response = frame.get("/embed/inquire", query_string=params)
    assert response.status_code == 200
    return response


def send(frame, html: str, **overrides):
    data = valid_inquiry(**overrides)
    for name in ("form_token", "embed_token", "page", "ref", "utm_source", "utm_campaign"):
        data.setdefault(name, hidden(html, name))
    return frame.post("/embed/inquire", data=data)


def test_only_the_allowed_sites_may_frame_it(frame):
    response = load(frame)
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {PARENT} https://*.partner.example;" in policy
    assert "bad" not in policy
    assert "X-Frame-Options" not in response.headers
    # Still the strict policy otherwise.
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert response.headers["Cache-Control"] == "no-store"


def test_every_other_page_stays_unframeable(frame):
    for path in ("/", "/inquire", "/conditions/lupus"):
        response = frame.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_with_no_site_allowed_only_our_own_pages_may_frame_it(app):
    response = app.test_client().get("/embed/inquire")
    assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"]


def test_the_snippets_script_may_be_loaded_by_other_sites(frame):
    response = frame.get("/static/js/embed.js")
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert frame.get("/static/js/clinic.js").headers["Cross-Origin-Resource-Policy"] == (
        "same-origin"
    )


def test_it_sets_no_cookie_and_needs_none(frame, ctx):
    page = load(frame)
    assert "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' not in html

    sent = send(frame, html)

    assert sent.status_code == 200
    assert "Set-Cookie" not in sent.headers
    assert "Thanks, we have your inquiry" in sent.get_data(as_text=True)


def test_the_inquiry_records_the_embed_and_the_page_around_it(frame, ctx):
    html = load(frame, condition="lupus").get_data(as_text=True)
    assert re.search(r'<option selected value="lupus">|<option value="lupus" selected', html)

    answer = send(frame, html).get_data(as_text=True)

    [inquiry] = db.session.execute(select(Inquiry)).scalars().all()
    assert inquiry.reference in answer
    assert inquiry.channel == "embed"
    # The page without its query string (which can hold anything) or fragment.
    assert inquiry.submitted_from == f"{PARENT}/treatments/lupus"
    assert inquiry.landing_page == f"{PARENT}/treatments/lupus"
    assert inquiry.referrer == "https://www.google.com/"
    assert (inquiry.utm_source, inquiry.utm_campaign) == ("spring", "lupus-2027")
    assert inquiry.consent_page == "/embed/inquire"
    assert db.session.get(Lead, inquiry.lead_id).source == "embed"
    kinds = sorted(db.session.execute(select(OutboxMessage.kind)).scalars())
    assert kinds == ["acknowledgement", "staff_new_inquiry"]


def test_the_frame_tells_only_an_allowed_parent_its_height(frame):
    allowed = load(frame).get_data(as_text=True)
    assert f'data-parent-origin="{PARENT}"' in allowed
    stranger = frame.get(
        "/embed/inquire", query_string={"page": "https://evil.example/page"}
    ).get_data(as_text=True)
    assert "data-parent-origin" not in stranger
    wildcard = frame.get(
        "/embed/inquire", query_string={"page": "https://shop.partner.example/x"}
    ).get_data(as_text=True)
    assert 'data-parent-origin="https://shop.partner.example"' in wildcard


def test_sent_twice_it_stores_once_and_thanks_with_the_same_reference(frame, ctx):
    html = load(frame).get_data(as_text=True)
    first = send(frame, html).get_data(as_text=True)
    second = send(frame, html).get_data(as_text=True)
    [inquiry] = db.session.execute(select(Inquiry)).scalars().all()
    assert inquiry.reference in first and inquiry.reference in second


def test_the_same_rules_as_the_sites_form(frame, ctx):
    html = load(frame).get_data(as_text=True)
    response = send(frame, html, phone="", email="zoe@", consent=None)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert "You chose a phone call, so we need your phone number." in page
    assert "Please add the part after the @" in page
    assert "Please tick the consent box" in page
    assert db.session.execute(select(Inquiry)).first() is None


def test_a_forged_or_expired_token_stores_nothing_and_keeps_what_was_typed(frame, embed_app, ctx):
    html = load(frame).get_data(as_text=True)
    forged = send(frame, html, embed_token="not-ours")
    assert forged.status_code == 400
    page = forged.get_data(as_text=True)
    assert "nothing was sent yet" in page and "zoe.nunez@example.com" in page
    # A new, valid pair of tokens to send again with.
    assert form_token_from(page) != form_token_from(html)
    resent = send(frame, page)
    assert resent.status_code == 200

    embed_app.config["EMBED_FORM_MAX_AGE_SECONDS"] = 0
    stale = load(frame).get_data(as_text=True)
    time.sleep(1.1)
    assert send(frame, stale).status_code == 400
    assert len(db.session.execute(select(Inquiry)).all()) == 1


def test_a_token_from_another_form_is_refused(frame, ctx):
    first = load(frame).get_data(as_text=True)
    second = load(frame).get_data(as_text=True)
    response = send(frame, first, embed_token=EMBED_TOKEN.search(second).group(1))
    assert response.status_code == 400


def test_the_honeypot_thanks_and_stores_nothing(frame, ctx):
    html = load(frame).get_data(as_text=True)
    response = send(frame, html, website="http://spam.example")
    assert response.status_code == 200
    assert "Thanks, we have your inquiry" in response.get_data(as_text=True)
    assert "Your reference" not in response.get_data(as_text=True)
    assert db.session.execute(select(Inquiry)).first() is None


@pytest.mark.parametrize(
    "page",
    ["javascript:alert(1)", "ftp://example.com/x", "not a url", "https:///nohost", ""],
)
def test_a_page_that_is_not_a_web_address_is_not_stored(frame, ctx, page):
    html = frame.get("/embed/inquire", query_string={"page": page}).get_data(as_text=True)
    assert hidden(html, "page") == ""
    send(frame, html)
    [inquiry] = db.session.execute(select(Inquiry)).scalars().all()
    assert inquiry.submitted_from == "/embed/inquire" and inquiry.landing_page is None


def test_the_thanks_in_the_frame_offers_a_time_opening_the_whole_window(frozen_clock, frame, ctx):
    from tests.booking_helpers import make_host

    make_host()
    answer = send(frame, load(frame).get_data(as_text=True))

    html = answer.get_data(as_text=True)
    assert "Choose a time for your consultation" in html
    link = re.search(r'href="(http://[^"]+/book/[^"]+)" target="_top"', html)
    assert link, "the booking link opens outside the frame"
    assert frame.get(link.group(1).split("localhost", 1)[-1]).status_code == 200
