"""What the inquiry form says: nothing chosen for the patient, a phone asked for only when they
chose a call or a text, one way of marking optional answers, an "Error:" title after a failed
send, and every email problem told in the clinic's own words."""

from __future__ import annotations

import re

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Lead
from clinic.public import email_errors
from clinic.public.forms import PHONE_NEEDED
from tests.conftest import valid_inquiry
from tests.lead_helpers import make_lead, signed_in


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def label_of(html: str, field: str) -> str:
    """The text of a field's label (or its group's legend), tags removed."""
    label = re.search(rf'<label class="field__label" for="{field}">(.*?)</label>', html, re.S)
    if label is None:
        label = re.search(
            rf'id="{field}".*?<legend class="field__label">(.*?)</legend>', html, re.S
        )
    return re.sub(r"<[^>]+>", "", label.group(1)).strip()


def error_of(html: str, field: str) -> str:
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error, f"no error shown for {field}"
    return re.sub(r"<[^>]+>", "", error.group(1)).removeprefix("Error: ").strip()


def stored_leads() -> list[Lead]:
    return db.session.execute(select(Lead)).scalars().all()


# --- the way of contact and the phone number ------------------------------------------------


def test_no_way_of_contact_is_chosen_for_the_patient(client):
    html = client.get("/inquire").get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="preferred_contact"[^>]*>', html)
    assert len(radios) == 3
    assert not any("checked" in radio for radio in radios), radios


def test_choosing_nothing_asks_how_to_contact(app, submit_inquiry):
    response = submit_inquiry(preferred_contact=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "preferred_contact") == (
        "Please choose how we should contact you: a phone call, an email or a text message."
    )
    assert "Not a valid choice" not in html
    with app.app_context():
        assert stored_leads() == []


def test_email_with_no_phone_is_accepted(app, submit_inquiry):
    assert submit_inquiry(phone="", preferred_contact="email").status_code == 303
    with app.app_context():
        [lead] = stored_leads()
        assert (lead.phone, lead.preferred_contact) == (None, "email")


@pytest.mark.parametrize(
    ("chosen", "extra", "sentence"),
    [
        ("phone", {}, "You chose a phone call, so we need your phone number. Please enter it, "
                      "or choose email instead."),
        ("sms", {"sms_consent": "y"}, "You chose text messages, so we need your mobile number. "
                                      "Please enter it, or choose email instead."),
    ],
)  # fmt: skip
def test_a_call_or_a_text_needs_a_phone_and_says_so(app, submit_inquiry, chosen, extra, sentence):
    response = submit_inquiry(phone="", preferred_contact=chosen, **extra)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "phone") == sentence == PHONE_NEEDED[chosen]
    assert f'<a href="#phone">{sentence}</a>' in html  # the summary says the same
    assert "You asked us to call or text you" not in html
    with app.app_context():
        assert stored_leads() == []


# --- marking ----------------------------------------------------------------------------------


def test_only_optional_answers_are_marked(client):
    html = client.get("/inquire").get_data(as_text=True)
    assert "(required)" not in html
    assert label_of(html, "phone") == "Phone number (optional)"
    assert label_of(html, "message") == "Your question (optional)"
    for field in ("name", "email", "condition", "preferred_contact"):
        assert "(optional)" not in label_of(html, field), field
    assert "Needed only if you would like a phone call or text messages." in html
    assert "Fields marked" not in html  # no instructions about marks: the marks say it


def test_the_forms_embedded_in_articles_are_marked_the_same_way(client):
    html = client.get("/conditions/lupus").get_data(as_text=True)
    assert "(required)" not in html
    assert label_of(html, "phone") == "Phone number (optional)"


def test_staff_forms_use_the_same_marks(app, client):
    login = client.get("/staff/login").get_data(as_text=True)
    assert "(required)" not in login and "(optional)" not in login
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        lead_id = make_lead("Ana Lima").id
    record = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "(required)" not in record
    assert "(optional) (optional)" not in record  # a label saying it and the mark: never both


# --- the page title ---------------------------------------------------------------------------


def test_the_title_starts_with_error_only_after_a_failed_send(client, submit_inquiry):
    assert not title_of(client.get("/inquire").get_data(as_text=True)).startswith("Error")
    failed = submit_inquiry(email="zoe@").get_data(as_text=True)
    assert title_of(failed).startswith("Error: Request a consultation")


def test_the_title_starts_with_error_when_the_form_expired(client):
    client.get("/inquire")
    expired = client.post("/inquire", data=valid_inquiry(csrf_token="forged"))
    assert expired.status_code == 400
    assert title_of(expired.get_data(as_text=True)).startswith("Error: ")


# --- email addresses --------------------------------------------------------------------------

E = email_errors
EMAIL_PROBLEMS = [
    ("zoe at example.com", E.NO_AT),
    ("zoe.nunez.example.com", E.NO_AT),
    ("zoe＠example.com", E.LOOKALIKE_AT),
    ("Zoe <zoe@example.com>", E.NOT_BARE),
    ("zoe@example.com>", E.NOT_BARE),
    ("zoe@nunez@example.com", E.MORE_THAN_ONE_AT),
    ("zoe nunez@example.com", E.SPACES),
    ("zoe@exam ple.com", E.SPACES),
    ("@example.com", E.NOTHING_BEFORE_AT),
    ("zoe@", E.NOTHING_AFTER_AT),
    ("zoe..nunez@example.com", E.DOTS),
    (".zoe@example.com", E.DOTS),
    ("zoe.@example.com", E.DOTS),
    ("zoe@.example.com", E.DOTS),
    ("zoe@example.com.", E.DOTS),
    ("zoe,nunez@example.com", E.CHARACTER.format(character=",")),
    ("zoe(nunez)@example.com", E.CHARACTER.format(character="(")),
    ('"zoe"@example.com', E.CHARACTER.format(character='"')),
    ("zoe@example_mail.com", E.CHARACTER.format(character="_")),
    ("zoe@[192.0.2.1]", E.CHARACTER.format(character="[")),
    ("zoe@-example.com", E.HYPHENS),
    ("zoe@example-.com", E.HYPHENS),
    ("zoe@gmail", E.NO_ENDING),
    ("zoe@localhost", E.NO_ENDING),
    ("zoe@example.c0", E.BAD_ENDING),
    ("zoe@192.0.2.1", E.BAD_ENDING),
    ("zoe@example.local", E.CANNOT_RECEIVE.format(ending="local")),
    ("zoe@clinic.test", E.CANNOT_RECEIVE.format(ending="test")),
    ("zoe@" + "x" * 64 + ".com", E.TOO_LONG),
    ("zoe@xn--ls8h.com", E.GENERAL),  # a Punycode name that decodes to nothing valid
]
# Wording of email-validator's own messages that must never reach a patient.
LIBRARY_WORDS = ("@-sign", "period", "special-use", "IDNA", "top-level", "not valid", "SPACE")


@pytest.mark.parametrize(
    ("address", "sentence"), EMAIL_PROBLEMS, ids=[a for a, _ in EMAIL_PROBLEMS]
)
def test_each_email_problem_is_told_in_the_clinics_words(address, sentence):
    with pytest.raises(EmailNotValidError):
        validate_email(address, check_deliverability=False)  # the library refuses it
    assert email_errors.email_error(address) == sentence
    assert not any(word in sentence for word in LIBRARY_WORDS)


@pytest.mark.parametrize(
    ("address", "sentence"),
    [("zoe@gmail", E.NO_ENDING), ("zoe at example.com", E.NO_AT), ("zoe@", E.NOTHING_AFTER_AT)],
)
def test_the_form_shows_the_clinics_sentence_beside_the_email(
    app, submit_inquiry, address, sentence
):
    response = submit_inquiry(email=address)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(html, "email") == sentence
    assert f'<a href="#email">{sentence}</a>' in html
    for word in LIBRARY_WORDS:
        assert word not in html, word
    with app.app_context():
        assert stored_leads() == []


def test_an_address_that_looks_odd_but_works_is_accepted(app, submit_inquiry):
    assert submit_inquiry(email="zoe+clinic@mail.example.co.uk").status_code == 303
