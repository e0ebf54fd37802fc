"""Names and free text as people type them: invisible formatting characters removed wherever a
patient's or a colleague's text comes in, every script and accent kept exactly, and a name
without a single letter refused."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.normalise import clean_line, clean_text, has_letter
from clinic.models import Inquiry, Lead, LeadEvent
from clinic.staff import accounts
from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff

BIDI_CONTROLS = [
    *map(chr, range(0x202A, 0x202F)),  # embeddings, pop, overrides
    *map(chr, range(0x2066, 0x206A)),  # isolates
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
INVISIBLE = BIDI_CONTROLS + ZERO_WIDTH
NAMES_KEPT_AS_TYPED = [
    unicodedata.normalize("NFD", "José Núñez"),  # letters followed by combining accents
    "José Núñez",
    "محمد الأحمد",
    "שרה כהן",
    "山田太郎",
    "Ngozi Okonkwo-Adébáyọ̀",
]


def stored_lead() -> Lead:
    return db.session.execute(select(Lead)).scalar_one()


def stored_inquiry() -> Inquiry:
    return db.session.execute(select(Inquiry)).scalar_one()


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_formatting_characters_are_removed_from_lines_and_text(character):
    assert clean_line(f"{character}Ma{character}ria {character}Lopez{character}") == "Maria Lopez"
    assert clean_text(f"first{character} line\nsecond{character}") == "first line\nsecond"


@pytest.mark.parametrize("name", NAMES_KEPT_AS_TYPED)
def test_every_script_and_combining_mark_is_kept_exactly(name):
    assert clean_line(name) == name
    assert clean_text(f"{name}\n{name}") == f"{name}\n{name}"
    assert has_letter(name)


@pytest.mark.parametrize(
    "text",
    [
        "می‌خواهم",  # Persian: the non-joiner is spelling
        "क्‍ष",  # Devanagari: the joiner picks a half form
        "👩‍⚕️",  # woman health worker: one emoji glued by a joiner
    ],
)
def test_joiners_inside_scripts_that_spell_with_them_are_kept(text):
    assert clean_line(text) == text


@pytest.mark.parametrize("text", ["‌Maria", "Maria‍", "Ma‌ria", "می‌‌خ"])
def test_joiners_at_edges_inside_latin_text_or_repeated_go(text):
    assert "‌‌" not in clean_line(text)
    assert clean_line(text) in {"Maria", "می‌خ"}


@pytest.mark.parametrize("text", ["", "12345", "!!!", "- . -", "\u0301\u0308", "☺ ☺", "٣٤٥"])
def test_text_without_a_letter_has_none(text):
    assert not has_letter(text)


def test_the_inquiry_form_stores_names_and_messages_without_invisible_characters(
    app, submit_inquiry
):
    response = submit_inquiry(
        name="\u202eZoë\u200b Núñez\u202c",
        message="Hello\u2066 there\u2069\nSecond\ufeff line",
    )
    assert response.status_code == 303
    with app.app_context():
        assert stored_lead().name == "Zoë Núñez"
        assert stored_inquiry().name == "Zoë Núñez"
        assert stored_inquiry().message == "Hello there\nSecond line"


@pytest.mark.parametrize("name", NAMES_KEPT_AS_TYPED)
def test_the_inquiry_form_keeps_every_script_exactly(app, submit_inquiry, name):
    assert submit_inquiry(name=name).status_code == 303
    with app.app_context():
        assert stored_lead().name == name
        assert stored_inquiry().name == name


@pytest.mark.parametrize("name", ["\u200b\u202e", "12345", "!!!", "☺", "\u0301"])
def test_the_inquiry_form_refuses_a_name_without_letters(app, submit_inquiry, name):
    response = submit_inquiry(name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter your name using letters." in html
    assert 'id="name-error"' in html
    with app.app_context():
        assert db.session.execute(select(Lead)).first() is None


def test_staff_notes_and_contact_notes_lose_invisible_characters(ctx):
    coordinator = make_staff()
    lead = make_lead()
    actions.add_note(lead, "Called\u200b back,\u202e said yes", coordinator)
    actions.log_contact(lead, "call", "reached", coordinator, body="Left\u2067 details\u2069")
    db.session.commit()
    bodies = db.session.execute(
        select(LeadEvent.body).where(LeadEvent.kind.in_(["note", "contact"])).order_by(LeadEvent.id)
    ).scalars()
    assert list(bodies) == ["Called back, said yes", "Left details"]


def test_staff_names_lose_invisible_characters_and_need_a_letter(ctx):
    user = make_staff("bo@clinic.test", name="\u200bBo\u202e Adé\u2060")
    assert user.name == "Bo Adé"
    with pytest.raises(accounts.AccountError, match="using letters") as refused:
        accounts.create_user("nn@clinic.test", "\u200b 1234 \u202e", "coordinator", "x" * 20)
    assert refused.value.field == "name"
