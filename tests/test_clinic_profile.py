"""The clinic's profile: first-start defaults from the environment, edited by admins in the
browser, shown in every public page's header, footer and JSON-LD, and the clinic's time zone."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from datetime import time

import pytest
from sqlalchemy.exc import OperationalError

from clinic import clock, create_app, profile, worker_cache
from clinic.extensions import db
from clinic.models import ClinicProfile, OutboxMessage
from config import TestingConfig
from tests.conftest import FROZEN_AT, csrf_token_from, form_token_from, valid_inquiry
from tests.lead_helpers import StatementLog, audit_rows, make_lead, signed_in
from tests.staff_helpers import csrf_token_for

SETTINGS = "/staff/settings"
LAKESIDE = {
    "name": "Lakeside Joint & Spine Clinic",
    "phone": "+1 312 555 0148",
    "email": "Hello@Lakeside.example",
    "street": "200 Harbor Drive, Suite 4",
    "locality": "Chicago",
    "region": "IL",
    "postal_code": "60601",
    "country": "us",
    "hours": "Monday to Saturday, 8 am to 6 pm",
    "timezone": "America/Chicago",
    "facebook_url": "https://www.facebook.com/lakeside.example",
    "instagram_url": "https://instagram.com/lakeside.example",
    "youtube_url": "",
    "linkedin_url": "",
    "x_url": "",
    "other_url": "https://g.page/lakeside-example/review",
    "other_label": "Google reviews",
}
_JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def png(width: int = 2, height: int = 1, padding: int = 0) -> bytes:
    """A real PNG image (a green bar), made here so the test needs no image library."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\x1f\x5f\x5b" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def clinic_json_ld(html: str) -> dict:
    """The page's MedicalClinic block, parsed."""
    blocks = [json.loads(block) for block in _JSON_LD.findall(html)]
    [clinic] = [block for block in blocks if block.get("@type") == "MedicalClinic"]
    return clinic


def save_profile(client, logo: tuple[bytes, str] | None = None, **changes):
    """Post the profile form as an admin's browser would (CSRF token from the page)."""
    token = csrf_token_from(client.get(SETTINGS).get_data(as_text=True))
    data: dict = {**LAKESIDE, **changes, "csrf_token": token}
    data = {key: value for key, value in data.items() if value is not None}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post(SETTINGS, data=data, content_type="multipart/form-data")


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, "ada@clinic.test", role="admin", name="Ada Admin")


def stored_profile(app) -> ClinicProfile | None:
    with app.app_context():
        row = db.session.get(ClinicProfile, 1)
        if row is not None:
            db.session.expunge(row)
        return row


# --- first start ----------------------------------------------------------------------------


def test_the_first_start_shows_the_environment_defaults(app, client):
    html = client.get("/").get_data(as_text=True)

    config = app.config
    assert f'<span class="brand__name">{config["CLINIC_NAME"]}</span>' in html
    assert f'<a href="tel:+15550100199">{config["CLINIC_PHONE"]}</a>' in html
    assert config["CLINIC_HOURS"] in html
    assert 'class="brand__mark"' in html and "brand__logo" not in html
    clinic = clinic_json_ld(html)
    assert clinic["name"] == config["CLINIC_NAME"]
    assert clinic["telephone"] == config["CLINIC_PHONE"]
    assert clinic["url"] == config["CLINIC_PUBLIC_URL"] + "/"
    assert "address" not in clinic and "logo" not in clinic and "sameAs" not in clinic
    with app.app_context():
        assert clock.zone().key == "America/New_York"
    assert stored_profile(app) is None  # reading writes nothing


def test_the_environment_names_the_clinic_until_an_admin_saves(app, client, admin):
    app.config.update(CLINIC_NAME="Harbor Clinic", CLINIC_TIMEZONE="America/Denver")
    with app.app_context():
        profile.forget()
    form_page = client.get(SETTINGS).get_data(as_text=True)
    assert 'value="Harbor Clinic"' in form_page
    assert '<option selected value="America/Denver">' in form_page

    assert save_profile(client, **{**LAKESIDE, "name": "Harbor Clinic"}).status_code == 302

    # Saved, the profile no longer follows the environment.
    app.config.update(CLINIC_NAME="Another Name", CLINIC_TIMEZONE="Europe/Paris")
    with app.app_context():
        profile.forget()
        assert profile.current_profile().name == "Harbor Clinic"
        assert clock.zone().key == "America/Chicago"


# --- editing --------------------------------------------------------------------------------


def test_an_admins_changes_show_in_the_header_footer_and_json_ld(app, client, admin):
    response = save_profile(client)
    assert response.status_code == 302 and response.location.endswith(SETTINGS)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "Clinic profile saved. Changed: name, phone, email, opening hours, time zone" in page

    html = client.get("/conditions/").get_data(as_text=True)
    assert '<span class="brand__name">Lakeside Joint &amp; Spine Clinic</span>' in html
    assert (
        '<address class="site-footer__address">200 Harbor Drive, Suite 4<br>'
        "Chicago, IL 60601</address>"
    ) in html
    assert '<a href="mailto:Hello@lakeside.example">Hello@lakeside.example</a>' in html
    assert '<a href="tel:+13125550148">+1 312 555 0148</a>' in html
    assert "Monday to Saturday, 8 am to 6 pm" in html
    assert (
        '<a href="https://g.page/lakeside-example/review" rel="me noopener">Google reviews</a>'
        in html
    )
    assert ">Instagram</a>" in html and ">YouTube</a>" not in html

    clinic = clinic_json_ld(html)
    assert clinic == {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": "Lakeside Joint & Spine Clinic",
        "url": app.config["CLINIC_PUBLIC_URL"] + "/",
        "telephone": "+1 312 555 0148",
        "email": "Hello@lakeside.example",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "200 Harbor Drive, Suite 4",
            "addressLocality": "Chicago",
            "addressRegion": "IL",
            "postalCode": "60601",
            "addressCountry": "US",
        },
        "openingHours": "Mo-Fr 09:00-17:00",
        "sameAs": [
            "https://www.facebook.com/lakeside.example",
            "https://instagram.com/lakeside.example",
            "https://g.page/lakeside-example/review",
        ],
    }
    row = stored_profile(app)
    assert row is not None and row.country == "US" and row.email == "Hello@lakeside.example"


def test_saving_is_audited_with_what_changed(app, client, admin):
    save_profile(client)
    save_profile(client, phone="+1 312 555 0199")
    save_profile(client, phone="+1 312 555 0199")  # nothing changed: nothing to audit

    with app.app_context():
        first, second = audit_rows("clinic_profile_changed")
        assert first.actor_email == "ada@clinic.test"
        assert "name: Northfield Regenerative Medicine Clinic → Lakeside Joint & Spine Clinic" in (
            first.detail
        )
        assert "timezone: America/New_York → America/Chicago" in first.detail
        assert second.detail == "phone: +1 312 555 0148 → +1 312 555 0199"
    audit_page = client.get("/staff/audit").get_data(as_text=True)
    assert "Clinic profile changed" in audit_page


def test_the_first_save_is_audited_even_with_nothing_changed(app, client, admin):
    config = app.config
    unchanged = {
        **{key: "" for key in LAKESIDE},
        "name": config["CLINIC_NAME"],
        "phone": config["CLINIC_PHONE"],
        "hours": config["CLINIC_HOURS"],
        "timezone": config["CLINIC_TIMEZONE"],
        "country": "US",
    }
    response = save_profile(client, **unchanged)
    assert response.status_code == 302
    assert "nothing had changed" in client.get(SETTINGS).get_data(as_text=True)
    with app.app_context():
        [entry] = audit_rows("clinic_profile_changed")
        assert entry.detail == "first saved, with the first-start values"
    assert stored_profile(app) is not None


@pytest.mark.parametrize("role", ["coordinator", "editor"])
def test_only_admins_open_the_settings(app, client, role):
    signed_in(app, client, f"{role}@clinic.test", role=role)
    assert client.get(SETTINGS).status_code == 403
    token = csrf_token_for(client, "/staff/account")
    assert client.post(SETTINGS, data={**LAKESIDE, "csrf_token": token}).status_code == 403
    assert stored_profile(app) is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and "/staff/login" in response.location


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Choose the clinic&#39;s time zone from the list"),
        ({"timezone": "localtime"}, "Choose the clinic&#39;s time zone from the list"),
        (
            {"facebook_url": "javascript:alert(1)"},
            "Enter the full address of the clinic&#39;s Facebook page, starting with https://.",
        ),
        ({"x_url": "ftp://example.com/clinic"}, "X (Twitter) page, starting with https://."),
        ({"instagram_url": "https:///no-host"}, "Instagram page, starting with https://."),
        ({"other_label": ""}, "Give the other page a name, such as Google reviews."),
        ({"name": "  "}, "Enter the clinic&#39;s name."),
        ({"phone": "12"}, "That phone number is too short or too long"),
        ({"phone": "call us"}, "Enter the clinic&#39;s phone number"),
        ({"email": "reception@"}, "Enter the clinic&#39;s email address"),
        ({"country": "USA"}, "Enter the country&#39;s two-letter code, such as US."),
        ({"hours": ""}, "Enter the clinic&#39;s opening hours."),
    ],
)
def test_a_wrong_answer_is_named_and_changes_nothing(app, client, admin, changes, message):
    response = save_profile(client, **changes)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<title>Error: Clinic profile" in html
    assert 'class="error-summary"' in html and message in html
    assert stored_profile(app) is None
    with app.app_context():
        assert audit_rows("clinic_profile_changed") == []


# --- logo -----------------------------------------------------------------------------------


def test_a_logo_is_stored_and_served_under_its_hash(app, client, admin):
    image = png()
    assert save_profile(client, logo=(image, "logo.png")).status_code == 302

    row = stored_profile(app)
    assert row is not None and row.logo_type == "image/png"
    url = f"/clinic-logo/{row.logo_sha256}.png"
    html = client.get("/").get_data(as_text=True)
    assert f'<img class="brand__logo" src="{url}" alt="">' in html
    assert "brand__mark" not in html
    assert clinic_json_ld(html)["logo"] == app.config["CLINIC_PUBLIC_URL"] + url

    response = client.get(url)
    assert response.status_code == 200
    assert response.data == image
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(url, headers={"If-None-Match": f'"{row.logo_sha256}"'})
    assert again.status_code == 304
    assert client.get(url.replace(".png", ".jpg")).status_code == 404
    assert client.get(f"/clinic-logo/{'0' * 64}.png").status_code == 404
    with app.app_context():
        [entry] = audit_rows("clinic_profile_changed")
        assert "logo: new image/png, 1 KB" in entry.detail


def test_a_logo_can_be_removed(app, client, admin):
    save_profile(client, logo=(png(), "logo.png"))
    old = stored_profile(app)
    assert old is not None and old.logo_sha256

    assert save_profile(client, remove_logo="y").status_code == 302

    assert "Changed: logo." in client.get(SETTINGS).get_data(as_text=True)
    assert stored_profile(app).logo_sha256 is None
    assert client.get(f"/clinic-logo/{old.logo_sha256}.png").status_code == 404
    assert 'class="brand__mark"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            (png(padding=profile.LOGO_MAX_BYTES), "big.png"),
            "The logo is too large: choose an image of at most 512 KB.",
        ),
        (
            (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "l.svg"),
            "The logo must be a PNG, JPEG or WebP image (SVG is not accepted).",
        ),
        (
            (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "disguised.png"),
            "The logo must be a PNG, JPEG or WebP image (SVG is not accepted).",
        ),
        ((b"", "empty.png"), "The chosen logo file is empty."),
    ],
)
def test_a_logo_that_is_too_large_or_not_an_image_is_refused(app, client, admin, upload, message):
    response = save_profile(client, logo=upload)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored_profile(app) is None


def test_logo_formats_are_recognised_by_their_bytes(ctx):
    assert profile.read_logo(png()).content_type == "image/png"
    assert profile.read_logo(b"\xff\xd8\xff\xe0" + b"\0" * 20).extension == "jpg"
    assert profile.read_logo(b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 8).extension == "webp"
    with pytest.raises(profile.ProfileError):
        profile.read_logo(b"GIF89a" + b"\0" * 20)


# --- JSON-LD safety ---------------------------------------------------------------------------


def test_nothing_an_admin_types_can_close_the_json_ld_block(app, client, admin):
    name = 'Clinic</script><script>alert("x")</script> & <b>Co</b>'
    assert save_profile(client, name=name, hours="9–5 </SCRIPT>").status_code == 302

    html = client.get("/").get_data(as_text=True)
    head = html[: html.index("</head>")]
    assert "<script>alert" not in html
    assert head.count("</script>") == head.count("<script")  # every block ends where it should
    clinic = clinic_json_ld(html)
    assert clinic["name"] == name
    assert "\\u003c/script\\u003e" in head and "\\u0026" in head


def test_staff_pages_carry_no_json_ld(client, admin):
    assert "application/ld+json" not in client.get(SETTINGS).get_data(as_text=True)


def test_the_content_security_policy_leaves_the_block_as_data(client):
    """script-src 'self' (no inline scripts) holds; the JSON-LD block is data, never run."""
    response = client.get("/")
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.get_data(as_text=True))
    assert inline == [' type="application/ld+json"']


# --- time zone ------------------------------------------------------------------------------


def test_a_new_time_zone_moves_the_times_staff_see(app, client, frozen_clock, admin):
    with app.app_context():
        lead_id = make_lead("Robin Example", at=FROZEN_AT).id
    before = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "09 Dec 2026, 10:00" in before and "Times are in America/New_York" in before

    assert save_profile(client, timezone="America/Los_Angeles").status_code == 302

    after = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "09 Dec 2026, 07:00" in after and "Times are in America/Los_Angeles" in after
    with app.app_context():
        assert clock.zone().key == "America/Los_Angeles"
        assert clock.business_calendar().tz.key == "America/Los_Angeles"
        # 10:00 in New York is 07:00 in Los Angeles: the business day (09:00) has not begun.
        opens, _ = clock.business_calendar().window(FROZEN_AT.date())
        assert (opens - FROZEN_AT).total_seconds() == 2 * 3600


def test_the_common_us_zones_come_first_in_the_choice(client, admin):
    html = client.get(SETTINGS).get_data(as_text=True)
    common = html.index('<optgroup label="Common in the United States">')
    everything = html.index('<optgroup label="All time zones">')
    assert common < html.index('value="America/Chicago"') < everything
    assert html.index('value="Europe/Paris"') > everything
    assert html.count('value="America/Chicago"') == 1  # else the browser selects either
    assert 'value="US/Eastern"' not in html  # old aliases are left out


# --- where the profile is read --------------------------------------------------------------


def test_the_acknowledgement_email_carries_the_saved_name(app, client, admin):
    save_profile(client, name="Lakeside Clinic")
    visitor = app.test_client()
    html = visitor.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    assert visitor.post("/inquire", data=data).status_code == 303
    with app.app_context():
        [message] = db.session.execute(
            db.select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")
        ).scalars()
        assert message.subject == "We received your message — Lakeside Clinic"
        assert "call +1 312 555 0148 (Monday to Saturday, 8 am to 6 pm)" in message.body


def test_public_pages_read_the_profile_once_per_cache_time(app, client):
    client.get("/")  # the first page reads it
    with app.app_context():
        engine = db.engine
    with StatementLog(engine) as log:
        assert client.get("/").status_code == 200
        assert client.get("/conditions/").status_code == 200
    assert not [s for s in log.statements if "clinic_profile" in s]


def test_other_processes_show_a_change_within_the_cache_time(app, client, admin, monkeypatch):
    """Two app objects stand for two worker processes: the one that saved shows the change at
    once, the other once its copy is CLINIC_PROFILE_CACHE_SECONDS old."""
    now = [1000.0]
    monkeypatch.setattr(worker_cache.time, "monotonic", lambda: now[0])
    other = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        CLINIC_PROFILE_CACHE_SECONDS=10,
    )
    other_client = other.test_client()
    assert "Northfield" in other_client.get("/").get_data(as_text=True)

    save_profile(client, name="Lakeside Clinic")
    assert "Lakeside Clinic" in client.get("/").get_data(as_text=True)

    now[0] += 9
    assert "Northfield" in other_client.get("/").get_data(as_text=True)
    now[0] += 2
    assert "Lakeside Clinic" in other_client.get("/").get_data(as_text=True)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_outage_still_shows_the_last_known_profile(app, client, admin, monkeypatch):
    """Error pages show the clinic's phone number, also while the database is down."""
    now = [1000.0]
    monkeypatch.setattr(worker_cache.time, "monotonic", lambda: now[0])
    save_profile(client, phone="+1 312 555 0100")
    with app.test_request_context("/"):
        assert profile.current_profile().phone == "+1 312 555 0100"

        def unreachable():
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))

        monkeypatch.setattr(db.session, "connection", unreachable)
        now[0] += 3600
        assert profile.current_profile().phone == "+1 312 555 0100"
        profile.forget()  # nothing known in this process: the first-start defaults
        assert profile.current_profile().phone == app.config["CLINIC_PHONE"]


# --- small rules ----------------------------------------------------------------------------


def test_opening_hours_for_search_engines():
    weekdays = frozenset(range(5))
    assert profile.opening_hours(weekdays, time(9), time(17)) == "Mo-Fr 09:00-17:00"
    assert profile.opening_hours(frozenset({0, 2, 4}), time(8, 30), None) == "Mo,We,Fr 08:30-24:00"
    assert profile.opening_hours(frozenset({5, 6}), time(10), time(14)) == "Sa,Su 10:00-14:00"


def test_address_lines_read_as_a_us_address():
    facts = profile.ClinicFacts(
        name="C", phone="1", hours="h", street="1 Main St", locality="Springfield",
        region="IL", postal_code="62701",
    )  # fmt: skip
    assert facts.address_lines == ["1 Main St", "Springfield, IL 62701"]
    abroad = profile.ClinicFacts(name="C", phone="1", hours="h", locality="Toronto", country="CA")
    assert abroad.address_lines == ["Toronto", "CA"]
    assert profile.ClinicFacts(name="C", phone="1", hours="h").address_lines == []
