"""The inquiry form end to end: each inquiry stored once, as typed, normalised as promised."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from clinic.extensions import db
from clinic.leads import intake, references, search
from clinic.leads.consent import CONSENT_VERSION
from clinic.models import Inquiry, Lead, LeadEvent
from tests.conftest import csrf_token_from, form_token_from, valid_inquiry
from tests.lead_helpers import make_lead, signed_in


def leads():
    return db.session.execute(select(Lead).order_by(Lead.id)).scalars().all()


def inquiries():
    return db.session.execute(select(Inquiry).order_by(Inquiry.id)).scalars().all()


def test_valid_inquiry_is_stored_normalised_and_redirects_to_thanks(app, submit_inquiry):
    response = submit_inquiry("/inquire?utm_source=newsletter&utm_campaign=lupus-2026")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inquire/thanks")
    with app.app_context():
        [lead] = leads()
        [inquiry] = inquiries()
        assert lead.name == "Zoë Núñez"
        assert lead.email == "zoe.nunez@example.com"
        assert lead.phone == "+12125550142"
        assert lead.phone_digits == "12125550142"
        assert lead.name_key == "zoe nunez"
        assert lead.status == "new"
        assert lead.inquiry_count == 1
        assert lead.source == "newsletter"
        assert inquiry.message == "I was diagnosed in 2019.\nWhat do the studies show?"
        assert inquiry.condition_slug == "lupus"
        assert inquiry.consent_version == CONSENT_VERSION
        assert inquiry.consent_at.tzinfo is not None
        assert inquiry.sms_consent is False
        assert inquiry.utm_source == "newsletter"
        assert inquiry.utm_campaign == "lupus-2026"
        assert inquiry.landing_page == "/inquire?utm_source=newsletter&utm_campaign=lupus-2026"
        kinds = db.session.execute(select(LeadEvent.kind)).scalars().all()
        assert kinds == ["inquiry"]


def test_thanks_page_never_echoes_the_message(client, submit_inquiry):
    submit_inquiry(message="My kidneys are failing, secret detail 8842")
    page = client.get("/inquire/thanks").get_data(as_text=True)
    assert "8842" not in page
    assert "What happens next" in page


def test_refreshing_the_thanks_page_creates_nothing(app, client, submit_inquiry):
    submit_inquiry()
    assert client.get("/inquire/thanks").status_code == 200
    for _ in range(2):  # shown once; then it leads back to the form
        assert client.get("/inquire/thanks").status_code == 303
    with app.app_context():
        assert len(inquiries()) == 1


def test_double_submit_of_the_same_form_stores_one_inquiry(app, client):
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    first = client.post("/inquire", data=data)
    second = client.post("/inquire", data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith("/inquire/thanks")
    with app.app_context():
        assert len(inquiries()) == 1
        assert leads()[0].inquiry_count == 1


def test_same_person_by_email_attaches_to_one_lead(app, submit_inquiry):
    submit_inquiry(phone="", preferred_contact="email")
    submit_inquiry(
        email="ZOE.NUNEZ@EXAMPLE.COM",
        phone="",
        preferred_contact="email",
        message="Second question",
    )
    with app.app_context():
        [lead] = leads()
        assert lead.inquiry_count == 2
        assert [i.message for i in inquiries()][-1] == "Second question"


def test_same_person_with_the_phone_in_another_format_attaches_to_one_lead(app, submit_inquiry):
    submit_inquiry(email="first@example.com", phone="(212) 555-0142")
    submit_inquiry(email="First@example.com", phone="+1 212.555.0142")
    with app.app_context():
        assert len(leads()) == 1
        assert len(inquiries()) == 2


def test_the_same_phone_with_another_email_is_not_attached(app, submit_inquiry):
    """Matching by phone alone let anyone knowing a number add to (and rename) a patient's
    record: tests/test_identity.py has the whole rule."""
    submit_inquiry(email="first@example.com", phone="(212) 555-0142")
    submit_inquiry(email="other@example.org", phone="+1 212.555.0142")
    with app.app_context():
        first, second = leads()
        assert second.possible_duplicate_of_id == first.id
        assert [inquiry.lead_id for inquiry in inquiries()] == [first.id, second.id]


def test_closed_lead_reopens_to_new_on_a_new_inquiry(app, submit_inquiry):
    submit_inquiry()
    with app.app_context():
        lead = leads()[0]
        lead.status, lead.lost_reason = "lost", "unreachable"
        db.session.commit()
    submit_inquiry(message="I'd like to try again")
    with app.app_context():
        lead = leads()[0]
        assert lead.status == "new"
        assert lead.lost_reason is None
        reopen = db.session.execute(
            select(LeadEvent).where(LeadEvent.kind == "status")
        ).scalar_one()
        assert (reopen.from_status, reopen.to_status) == ("lost", "new")


def test_different_people_make_different_leads(app, submit_inquiry):
    submit_inquiry()
    submit_inquiry(name="李小龍", email="li@example.net", phone="+852 2123 4567")
    with app.app_context():
        assert [lead.name for lead in leads()] == ["Zoë Núñez", "李小龍"]


@pytest.mark.parametrize(
    "name",
    ["Zoë Núñez", "李小龍", "Ngozi Okonkwo-Adébáyọ̀", "Þórunn 🌻 Ásgeirsdóttir", "محمد الأحمد"],
)
def test_unicode_round_trips_exactly(app, runner, submit_inquiry, name):
    message = f"Hello from {name} — ça va? 😊\nSecond line"
    assert submit_inquiry(name=name, message=message).status_code == 303
    with app.app_context():
        assert leads()[0].name == name
        assert inquiries()[0].message == message
    output = runner.invoke(args=["leads", "export", "--format", "jsonl"]).output
    assert name in output


def test_control_characters_and_nul_are_stripped_before_storage(app, submit_inquiry):
    response = submit_inquiry(name="Ana\x00 Lima\x07", message="line one\r\nline\x00 two\x1b\ttab")
    assert response.status_code == 303
    with app.app_context():
        assert leads()[0].name == "Ana Lima"
        assert inquiries()[0].message == "line one\nline two\ttab"


def test_xss_and_sql_strings_are_stored_verbatim_and_rendered_escaped(app, client, submit_inquiry):
    payload = "<script>alert('x')</script>'; DROP TABLE leads; --"
    response = submit_inquiry(name=payload, message=payload, email="not-an-email")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    assert submit_inquiry(name=payload, message=payload).status_code == 303
    with app.app_context():
        assert leads()[0].name == payload
        assert inquiries()[0].message == payload


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "zoe@"}, "email", "Please add the part after the @"),
        ({"email": "zoe at example.com"}, "email", "Please include an @ in the email address"),
        ({"email": ""}, "email", "Please give an email address"),
        ({"phone": "12345"}, "phone", "phone number"),
        ({"phone": "", "preferred_contact": "phone"}, "phone", "so we need your phone number"),
        ({"preferred_contact": None}, "preferred_contact", "Please choose how we should contact"),
        ({"consent": None}, "consent", "Please tick the consent box"),
        ({"name": ""}, "name", "Please tell us your name"),
        ({"name": "x" * 201}, "name", "at most 200 characters (you entered 201)"),
        ({"message": "m" * 5001}, "message", "at most 5,000 characters (you entered 5001)"),
        ({"condition": "astrology"}, "condition", "Not a valid choice"),
        ({"preferred_contact": "sms", "sms_consent": None}, "sms_consent", "allowing us to text"),
    ],
)
def test_bad_input_shows_a_specific_error_next_to_its_field_and_stores_nothing(
    app, submit_inquiry, overrides, field, message
):
    response = submit_inquiry(**overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    with app.app_context():
        assert leads() == []


def test_errors_keep_everything_that_was_typed(submit_inquiry):
    html = submit_inquiry(email="bad@", message="Keep this text, please").get_data(as_text=True)
    assert 'value="Zoë Núñez"' in html
    assert "Keep this text, please" in html
    assert 'value="(212) 555-0142"' in html or 'value="+12125550142"' in html


def test_internationalised_email_is_accepted_and_domain_lowercased(app, submit_inquiry):
    assert submit_inquiry(email="José.Ñandú@Bücher.DE").status_code == 303
    with app.app_context():
        lead = leads()[0]
        assert lead.email == "José.Ñandú@bücher.de"
        assert lead.email_key == "josé.ñandú@bücher.de"


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_csrf_failure_shows_the_form_again_with_values_and_stores_nothing(app, client, token):
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(form_token=form_token_from(html), message="Please keep me")
    if token:
        data["csrf_token"] = token
    response = client.post("/inquire", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please keep me" in page
    assert 'value="Zoë Núñez"' in page
    assert "press “Send my inquiry” again" in page
    assert csrf_token_from(page)
    with app.app_context():
        assert leads() == []
    data["csrf_token"] = csrf_token_from(page)
    assert client.post("/inquire", data=data).status_code == 303
    with app.app_context():
        assert len(leads()) == 1


def test_expired_csrf_token_is_not_a_dead_end(app, client, frozen_clock):
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    frozen_clock.shift(timedelta(seconds=61))
    response = client.post("/inquire", data=data)
    assert response.status_code == 400
    assert "Zoë Núñez" in response.get_data(as_text=True)
    with app.app_context():
        assert leads() == []


def test_honeypot_shows_thanks_and_stores_nothing(app, submit_inquiry):
    response = submit_inquiry(website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inquire/thanks")
    with app.app_context():
        assert leads() == []


def test_honeypot_is_hidden_from_people_and_tab_order(client):
    html = client.get("/inquire").get_data(as_text=True)
    assert 'name="website"' in html
    assert 'tabindex="-1"' in html
    assert 'autocomplete="off"' in html
    assert "Leave this field empty" in html


def test_body_over_the_limit_gets_413_and_stores_nothing(app, client):
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), message="x" * (20 * 1024 * 1024))
    response = client.post("/inquire", data=data)
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    with app.app_context():
        assert leads() == []


def test_sms_consent_and_submitted_page_are_recorded(app, submit_inquiry):
    submit_inquiry("/conditions/lupus", preferred_contact="sms", sms_consent="y")
    with app.app_context():
        inquiry = inquiries()[0]
        assert inquiry.sms_consent is True
        assert inquiry.submitted_from == "/conditions/lupus"
        assert inquiry.landing_page == "/conditions/lupus"


def test_first_touch_attribution_survives_later_pages(app, client):
    client.get(
        "/conditions/lupus?utm_source=google&utm_medium=cpc&utm_campaign=sle",
        headers={"Referer": "https://www.google.com/search?q=lupus"},
    )
    client.get("/faq?utm_source=later")
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(csrf_token=csrf_token_from(html), form_token=form_token_from(html))
    data["submitted_from"] = "/inquire"
    assert client.post("/inquire", data=data).status_code == 303
    with app.app_context():
        inquiry = inquiries()[0]
        assert (inquiry.utm_source, inquiry.utm_medium, inquiry.utm_campaign) == (
            "google",
            "cpc",
            "sle",
        )
        assert inquiry.referrer == "https://www.google.com/search?q=lupus"
        assert inquiry.landing_page.startswith("/conditions/lupus?")


def test_referrer_host_becomes_the_source_without_utm(ctx):
    attribution = intake.Attribution(referrer="https://www.facebook.com/groups/x")
    assert attribution.source() == "facebook.com"
    assert intake.Attribution().source() == "direct"


def test_record_inquiry_is_idempotent_when_called_directly(ctx):
    data = intake.InquiryData(
        name="Sam Doe",
        email="sam@example.com",
        phone=None,
        condition_slug="other",
        idempotency_key=intake.idempotency_key_for("abc"),
    )
    first = intake.record_inquiry(data)
    second = intake.record_inquiry(data)
    assert second.duplicate_submission
    assert first.inquiry.id == second.inquiry.id
    assert db.session.execute(select(func.count(Inquiry.id))).scalar_one() == 1


# --- the reference a patient quotes on the phone --------------------------------------------

REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def direct_inquiry(email: str = "sam@example.com", token: str | None = None) -> intake.InquiryData:
    return intake.InquiryData(
        name="Sam Doe",
        email=email,
        phone=None,
        condition_slug="other",
        preferred_contact="email",
        idempotency_key=intake.idempotency_key_for(token),
    )


def test_new_references_are_short_unambiguous_and_random():
    drawn = {references.new_reference() for _ in range(2000)}
    assert len(drawn) == 2000
    for code in drawn:
        assert REFERENCE.match(code), code
        assert not set(code) & set("ILOU")
        assert any(c.isdigit() for c in code) and any(c.isalpha() for c in code.replace("-", ""))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("K7M4-QX2P", "K7M4-QX2P"),
        ("k7m4 qx2p", "K7M4-QX2P"),
        ("  K7M4QX2P ", "K7M4-QX2P"),
        ("K7M4 – QX2P", "K7M4-QX2P"),
        ("O1LI-AB2C", "0111-AB2C"),  # heard or misread: O is 0, I and L are 1
        ("K7M4-QX2", None),
        ("K7M4-QX2PP", None),
        ("KUM4-QX2P", None),  # U is not in the alphabet
        ("ANDERSON", None),  # a name: no digit
        ("12345678", None),  # digits only: a phone number
        ("K7M4@QX2P", None),
    ],
)
def test_a_reference_is_read_however_it_is_typed(typed, stored):
    assert references.parse_reference(typed) == stored


def test_each_inquiry_stores_its_own_reference(ctx):
    first = intake.record_inquiry(direct_inquiry("a@example.com"))
    second = intake.record_inquiry(direct_inquiry("a@example.com"))
    assert first.lead_id == second.lead_id
    assert REFERENCE.match(first.reference) and REFERENCE.match(second.reference)
    assert first.reference != second.reference
    stored = db.session.execute(select(Inquiry.reference).order_by(Inquiry.id)).scalars().all()
    assert stored == [first.reference, second.reference]


def test_the_same_form_sent_twice_keeps_its_first_reference(ctx):
    first = intake.record_inquiry(direct_inquiry(token="one-form"))
    again = intake.record_inquiry(direct_inquiry(token="one-form"))
    assert again.duplicate_submission
    assert again.reference == first.reference


def test_a_reference_drawn_twice_is_drawn_again_and_the_inquiry_kept(ctx, monkeypatch):
    draws = iter(["K7M4-QX2P", "K7M4-QX2P", "Q2P9-ZX7M"])
    monkeypatch.setattr(references, "new_reference", lambda: next(draws))
    first = intake.record_inquiry(direct_inquiry("a@example.com"))
    second = intake.record_inquiry(direct_inquiry("b@example.com"))
    assert (first.reference, second.reference) == ("K7M4-QX2P", "Q2P9-ZX7M")
    rows = db.session.execute(select(Inquiry.reference, Inquiry.email).order_by(Inquiry.id)).all()
    assert [tuple(row) for row in rows] == [
        ("K7M4-QX2P", "a@example.com"),
        ("Q2P9-ZX7M", "b@example.com"),
    ]
    events = db.session.execute(select(LeadEvent.inquiry_id).where(LeadEvent.kind == "inquiry"))
    assert sorted(events.scalars()) == [first.inquiry_id, second.inquiry_id]


def test_when_every_draw_is_taken_nothing_is_stored(ctx, monkeypatch):
    monkeypatch.setattr(references, "new_reference", lambda: "K7M4-QX2P")
    intake.record_inquiry(direct_inquiry("a@example.com"))
    with pytest.raises(RuntimeError, match="no free inquiry reference"):
        intake.record_inquiry(direct_inquiry("b@example.com"))
    db.session.rollback()
    assert db.session.execute(select(func.count(Lead.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(Inquiry.id))).scalar_one() == 1


def test_staff_find_the_lead_by_its_reference_however_it_is_typed(app, client):
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        sent = intake.record_inquiry(direct_inquiry("sam@example.com"))
        intake.record_inquiry(direct_inquiry("other@example.com"))
    spoken = sent.reference.lower().replace("-", " ").replace("0", "o")
    for typed in (sent.reference, spoken, sent.reference.replace("-", "")):
        html = client.get("/staff/leads", query_string={"q": typed}).get_data(as_text=True)
        found = set(re.findall(r'href="/staff/leads/(\d+)"', html))
        assert found == {str(sent.lead_id)}, typed


def test_a_reference_shaped_query_nobody_has_is_searched_as_text(ctx):
    make_lead("Ab12 Cd34")  # a name that could be read as a reference
    match = search.find("AB12 CD34", region="US")
    ids = db.session.execute(select(Lead.id).where(match.where())).scalars().all()
    assert len(ids) == 1


def test_a_reference_is_looked_up_through_its_unique_index(ctx):
    statement = search._BY_REFERENCE.params(reference="K7M4-QX2P")
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(db.session.execute(text(f"EXPLAIN {sql}")).scalars())
    db.session.rollback()
    assert "ix_inquiries_reference" in plan, plan
