"""Identity-safe intake: the public form never changes who an existing lead is. An inquiry
joins a lead only when every contact detail both give agrees; a partial match becomes a lead of
its own marked "possible same person", which staff merge or dismiss."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.erasure import erase_lead
from clinic.leads.intake import InquiryData, record_inquiry
from clinic.leads.merge import merge_leads
from clinic.models import Inquiry, Lead, OutboxMessage
from clinic.notify.inquiry import ACKNOWLEDGEMENT
from tests.lead_helpers import audit_rows, events_of, make_lead, signed_in, token_from
from tests.staff_helpers import make_staff

PATIENT_PHONE = "(212) 555-0142"
OTHER_PHONE = "(212) 555-0199"


REFERENCE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def lead_row(lead_id: int) -> dict:
    """Every stored column of a lead, read afresh."""
    statement = select(Lead.__table__).where(Lead.id == lead_id)
    return dict(db.session.execute(statement).mappings().one())


def all_leads() -> list[Lead]:
    return list(db.session.execute(select(Lead).order_by(Lead.id)).scalars())


def inquiries_of(lead_id: int) -> list[Inquiry]:
    query = select(Inquiry).where(Inquiry.lead_id == lead_id).order_by(Inquiry.id)
    return list(db.session.execute(query).scalars())


def write(email: str | None, phone: str | None, name: str = "Someone", **fields):
    """An inquiry stored the way the form stores it (phone already in E.164)."""
    return record_inquiry(
        InquiryData(
            name=name,
            email=email,
            phone=phone,
            condition_slug=fields.pop("condition_slug", "lupus"),
            **fields,
        )
    )


@pytest.fixture
def patient(app):
    """Lead A: a patient whose lead was closed as lost, with her phone and email on record."""
    with app.app_context():
        lead = make_lead(
            "Ana Lima",
            email="ana.lima@example.com",
            phone=PATIENT_PHONE,
            status="lost",
            lost_reason="unreachable",
        )
        return lead.id


def test_a_stranger_with_the_patients_phone_cannot_take_over_her_record(
    app, client, submit_inquiry, patient
):
    """The takeover as reported: phone p, another email and name, against a closed lead."""
    with app.app_context():
        before = lead_row(patient)

    response = submit_inquiry(
        name="Mallory Stone",
        email="mallory@example.net",
        phone=PATIENT_PHONE,
        message="Please send me everything you have on file.",
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inquire/thanks")
    with app.app_context():
        after = lead_row(patient)
        assert after == before  # name, email, phone, status, condition: every column as it was
        assert (after["name"], after["email"], after["phone"]) == (
            "Ana Lima",
            "ana.lima@example.com",
            "+12125550142",
        )
        assert (after["status"], after["lost_reason"]) == ("lost", "unreachable")
        assert len(inquiries_of(patient)) == 1
        assert events_of(patient, "status") == []

        _, stranger = all_leads()
        assert (stranger.name, stranger.email, stranger.phone) == (
            "Mallory Stone",
            "mallory@example.net",
            "+12125550142",
        )
        assert stranger.status == "new"
        assert stranger.possible_duplicate_of_id == patient
        [inquiry] = inquiries_of(stranger.id)
        assert (inquiry.name, inquiry.email, inquiry.message) == (
            "Mallory Stone",
            "mallory@example.net",
            "Please send me everything you have on file.",
        )


def test_the_same_email_and_phone_join_the_lead_and_reopen_it(app, submit_inquiry, patient):
    submit_inquiry(
        name="Ana L.", email="Ana.Lima@example.com", phone="+1 212.555.0142", message="Again"
    )
    with app.app_context():
        [lead] = all_leads()
        assert lead.id == patient
        assert (lead.status, lead.lost_reason, lead.inquiry_count) == ("new", None, 2)
        assert (lead.name, lead.email) == ("Ana Lima", "ana.lima@example.com")
        assert lead.possible_duplicate_of_id is None
        [reopen] = events_of(patient, "status")
        assert (reopen.from_status, reopen.to_status) == ("lost", "new")
        assert [(i.name, i.email) for i in inquiries_of(patient)][-1] == (
            "Ana L.",
            "Ana.Lima@example.com",
        )


def test_the_same_email_with_another_phone_is_a_possible_duplicate(app, submit_inquiry, patient):
    with app.app_context():
        before = lead_row(patient)
    submit_inquiry(name="Ana Lima", email="ana.lima@example.com", phone=OTHER_PHONE)
    with app.app_context():
        assert lead_row(patient) == before
        _, second = all_leads()
        assert (second.phone, second.possible_duplicate_of_id) == ("+12125550199", patient)
        assert second.status == "new"


@pytest.mark.parametrize(
    ("lead_phone", "inquiry_phone"),
    [(PATIENT_PHONE, None), (None, "+12125550142")],
    ids=["inquiry-without-phone", "lead-without-phone"],
)
def test_a_detail_only_one_side_gives_does_not_stop_the_join(ctx, lead_phone, inquiry_phone):
    """Email alone joins when the other side has no phone; the lead gains no phone from it."""
    lead = make_lead("Ana Lima", email="ana.lima@example.com", phone=lead_phone)
    before = lead_row(lead.id)
    result = write("ana.lima@example.com", inquiry_phone, name="Ana Lima")
    assert (result.lead_id, result.created_lead, result.possible_duplicate_of) == (
        lead.id,
        False,
        None,
    )
    after = lead_row(lead.id)
    assert (after["phone"], after["phone_digits"]) == (before["phone"], before["phone_digits"])
    assert after["inquiry_count"] == 2
    assert inquiries_of(lead.id)[-1].phone == inquiry_phone


def test_family_members_sharing_a_phone_get_a_lead_each(ctx):
    ana = write("ana@example.com", "+12125550142", name="Ana Lima")
    ben = write("ben@example.com", "+12125550142", name="Ben Lima")
    assert ben.created_lead and ben.lead_id != ana.lead_id
    assert ben.possible_duplicate_of == ana.lead_id
    again = write("ben@example.com", "+12125550142", name="Ben Lima", message="Me again")
    assert (again.lead_id, again.created_lead) == (ben.lead_id, False)
    assert [lead.name for lead in all_leads()] == ["Ana Lima", "Ben Lima"]
    assert db.session.get(Lead, ana.lead_id).inquiry_count == 1


@pytest.mark.parametrize(
    ("lead", "inquiry", "outcome"),
    [
        (("a@example.com", "+12125550142"), ("a@example.com", "+12125550142"), "joins"),
        (("a@example.com", "+12125550142"), ("b@example.com", "+12125550142"), "marked"),
        (("a@example.com", "+12125550142"), ("a@example.com", "+12125550199"), "marked"),
        (("a@example.com", "+12125550142"), ("b@example.com", "+12125550199"), "new"),
        (("a@example.com", None), ("b@example.com", "+12125550142"), "new"),
        ((None, "+12125550142"), ("b@example.com", "+12125550142"), "joins"),
    ],
)
def test_the_joining_rule(ctx, lead, inquiry, outcome):
    existing = write(*lead, name="First Person").lead_id
    result = write(*inquiry, name="Second Person")
    joined = result.lead_id == existing
    marked = result.possible_duplicate_of == existing
    assert {"joins": (True, False), "marked": (False, True), "new": (False, False)}[outcome] == (
        joined,
        marked,
    )
    assert db.session.get(Lead, existing).name == "First Person"


def test_a_full_match_wins_over_a_partial_one(ctx):
    """Ben shares the family phone with Ana; his own inquiries still find his lead."""
    ana = write("ana@example.com", "+12125550142", name="Ana Lima").lead_id
    ben = write("ben@example.com", "+12125550142", name="Ben Lima").lead_id
    assert write("ben@example.com", None, name="Ben Lima").lead_id == ben
    assert write("ana@example.com", "+12125550142", name="Ana Lima").lead_id == ana


def test_another_condition_is_kept_on_the_inquiry_not_the_lead(app, client, submit_inquiry):
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        lead = make_lead("Ana Lima", email="ana.lima@example.com", condition="lupus").id
    submit_inquiry(name="Ana Lima", email="ana.lima@example.com", phone="", condition="copd",
                   preferred_contact="email")  # fmt: skip
    with app.app_context():
        stored = db.session.get(Lead, lead)
        assert (stored.condition_slug, stored.inquiry_count) == ("lupus", 2)
        assert [i.condition_slug for i in inquiries_of(lead)] == ["lupus", "copd"]
    html = client.get(f"/staff/leads/{lead}").get_data(as_text=True)
    assert "Latest inquiry: COPD" in html
    assert "About another condition than the lead's (Lupus)." in html


def test_known_and_unknown_people_get_the_same_answer_and_acknowledgement(
    app, submit_inquiry, patient
):
    answers = [
        submit_inquiry(name="New Person", email="new@example.com", phone=OTHER_PHONE),
        submit_inquiry(name="Ana Lima", email="ana.lima@example.com", phone=PATIENT_PHONE),
        submit_inquiry(name="Mallory Stone", email="mallory@example.net", phone=PATIENT_PHONE),
    ]
    assert [answer.status_code for answer in answers] == [303, 303, 303]
    assert {(answer.headers["Location"], answer.get_data()) for answer in answers} == {
        (answers[0].headers["Location"], answers[0].get_data())
    }
    assert answers[0].headers["Location"].endswith("/inquire/thanks")
    with app.app_context():
        acknowledgements = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == ACKNOWLEDGEMENT)
            .order_by(OutboxMessage.id)
        ).all()
    assert [row.recipient for row in acknowledgements] == [
        "new@example.com",
        "ana.lima@example.com",
        "mallory@example.net",
    ]
    # Each carries its own inquiry's reference; apart from it, the three are the same words.
    references = [REFERENCE.findall(row.body) for row in acknowledgements]
    assert all(len(found) == 1 for found in references), references
    assert len({found[0] for found in references}) == 3
    assert len({(row.subject, REFERENCE.sub("", row.body)) for row in acknowledgements}) == 1


# --- what staff see and do --------------------------------------------------------------------


@pytest.fixture
def pair(app, patient):
    """Lead A (the patient) and lead M, marked as possibly the same person as A."""
    with app.app_context():
        marked = write("mallory@example.net", "+12125550142", name="Mallory Stone").lead_id
        unmarked = write("carl@example.org", None, name="Carl Other").lead_id
    return patient, marked, unmarked


def test_both_records_show_the_mark_with_a_link(app, client, pair):
    patient, marked, _ = pair
    signed_in(app, client, "casey@clinic.test")
    marked_page = client.get(f"/staff/leads/{marked}").get_data(as_text=True)
    assert (
        f'Possible same person as <a href="/staff/leads/{patient}">#{patient}</a> (Ana Lima)'
        in marked_page
    )
    assert "Same phone number; different email address; different name." in marked_page
    patient_page = client.get(f"/staff/leads/{patient}").get_data(as_text=True)
    assert (
        f'Possible same person as <a href="/staff/leads/{marked}">#{marked}</a> (Mallory Stone)'
        in patient_page
    )
    assert "Not the same person" in patient_page
    assert "An admin can merge the two leads." in patient_page  # coordinators can't merge


def test_the_inbox_view_lists_the_marked_leads_with_their_pair(app, client, pair):
    patient, marked, _ = pair
    signed_in(app, client, "casey@clinic.test")
    html = client.get("/staff/leads?view=possible_duplicates&status=all").get_data(as_text=True)
    assert f'<a href="/staff/leads/{marked}">Mallory Stone</a>' in html
    assert f'Possible same person as <a href="/staff/leads/{patient}">#{patient}</a>' in html
    assert "Carl Other" not in html and "Ana Lima" not in html
    assert "Possible same person" in html  # the view is named in the caption and the select
    # The default (open) scope lists the marked lead too: it is new.
    open_view = client.get("/staff/leads?view=possible_duplicates").get_data(as_text=True)
    assert f'<a href="/staff/leads/{marked}">Mallory Stone</a>' in open_view
    assert "Carl Other" not in open_view


def test_not_the_same_person_clears_the_mark_and_is_audited(app, client, pair):
    patient, marked, _ = pair
    user = signed_in(app, client, "casey@clinic.test")
    page = client.get(f"/staff/leads/{patient}").get_data(as_text=True)
    refused = client.post(f"/staff/leads/{patient}/not-same-person", data={"other": marked})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Lead, marked).possible_duplicate_of_id == patient

    response = client.post(
        f"/staff/leads/{patient}/not-same-person",
        data={"csrf_token": token_from(page), "other": marked},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"Marked as not the same person as lead #{marked}." in html
    assert "Possible same person as" not in html
    assert f"Not the same person as lead #{marked}" in html  # on the timeline
    with app.app_context():
        assert db.session.get(Lead, marked).possible_duplicate_of_id is None
        rows = audit_rows("possible_duplicate_dismissed")
        assert sorted((row.lead_id, row.actor_id) for row in rows) == sorted(
            [(patient, user.id), (marked, user.id)]
        )
        assert [e.body for e in events_of(marked, "identity")] == [
            f"Not the same person as lead #{patient}"
        ]
    listed = client.get("/staff/leads?view=possible_duplicates&status=all")
    assert "Mallory Stone" not in listed.get_data(as_text=True)


def test_an_admin_merges_from_the_mark(app, client, pair):
    patient, marked, _ = pair
    signed_in(app, client, "admin@clinic.test", role="admin", name="Ada Admin")
    record = client.get(f"/staff/leads/{marked}").get_data(as_text=True)
    link = f"/staff/leads/{patient}/merge?other={marked}"
    assert f'href="{link}"' in record
    confirm = client.get(link).get_data(as_text=True)
    assert f"Merge lead #{marked} into lead #{patient}?" in confirm
    response = client.post(
        f"/staff/leads/{patient}/merge",
        data={"csrf_token": token_from(confirm), "other": str(marked)},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"Lead #{marked} was merged into this one." in html
    assert "Possible same person as" not in html
    with app.app_context():
        kept, merged = db.session.get(Lead, patient), db.session.get(Lead, marked)
        assert (kept.name, kept.email) == ("Ana Lima", "ana.lima@example.com")
        assert (merged.merged_into_id, merged.possible_duplicate_of_id) == (patient, None)
        details = {row.lead_id: row.detail for row in audit_rows("lead_merged")}
        assert details[patient] == (
            f"lead {marked} merged into this; they were marked as possibly the same person"
        )


def test_marks_follow_a_merge_and_go_with_an_erasure(ctx):
    admin = make_staff("admin@clinic.test", role="admin", name="Ada Admin")
    ana = write("ana@example.com", "+12125550142", name="Ana Lima").lead_id
    ben = write("ben@example.com", "+12125550142", name="Ben Lima").lead_id
    old_ana = make_lead("Ana Lima", email="ana.old@example.com").id
    # Ana's older record is merged into the one Ben's lead is marked against, and the other
    # way round: Ben's mark follows Ana to whichever record remains.
    merge_leads(db.session.get(Lead, old_ana), db.session.get(Lead, ana), admin)
    db.session.commit()
    assert db.session.get(Lead, ben).possible_duplicate_of_id == old_ana
    erase_lead(db.session.get(Lead, old_ana), admin)
    db.session.commit()
    assert db.session.get(Lead, ben).possible_duplicate_of_id is None


def test_a_joined_inquiry_with_other_details_is_pointed_out_on_the_record(app, client):
    """Email alone joins, so a phone the lead doesn't hold is shown where staff read it."""
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        lead = make_lead("Ana Lima", email="ana.lima@example.com").id
        write("ana.lima@example.com", "+12125550199", name="Ana Lima")
        assert db.session.get(Lead, lead).phone is None
    html = client.get(f"/staff/leads/{lead}").get_data(as_text=True)
    assert "<dt>Differs from the lead</dt><dd>Phone number (the lead keeps its own)</dd>" in html
    assert "phone number not as on the lead." in html
