"""Erasure on request: the person's details become a tombstone, statistics stay, the audit log
records it, and the same person writing again starts a new lead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from clinic.extensions import db
from clinic.leads import actions
from clinic.leads.erasure import TOMBSTONE, erase_lead
from clinic.leads.intake import Attribution
from clinic.models import Inquiry, Lead, OutboxMessage, utcnow
from tests.lead_helpers import (
    audit_rows,
    database_file_bytes,
    events_of,
    make_lead,
    search_index_bytes,
    signed_in,
    token_from,
)
from tests.staff_helpers import make_staff


@pytest.fixture
def admin(ctx):
    return make_staff("admin@clinic.test", name="Ada Admin", role="admin")


def person(**overrides):
    details = {
        "email": "zoe@example.com",
        "phone": "(212) 555-0142",
        "message": "My kidneys hurt.",
        "attribution": Attribution(
            utm_source="newsletter",
            referrer="https://mail.example/read?to=zoe@example.com",
            landing_page="/conditions/lupus?email=zoe@example.com",
        ),
    }
    return make_lead("Zoë Núñez", **(details | overrides))


def test_erasure_replaces_the_persons_details_and_keeps_the_statistics(admin):
    lead = person(ago=timedelta(days=40), status="contacted", first_contacted_at=utcnow())
    actions.add_note(lead, "Has stage 3 kidney disease", admin)
    actions.log_contact(lead, "call", "reached", admin, body="Spoke about cost")
    actions.assign_owner(lead, admin, admin)
    actions.set_follow_up(lead, utcnow().date() + timedelta(days=3), admin)
    db.session.commit()
    kept = (lead.id, lead.created_at, lead.first_inquiry_at, lead.first_contacted_at, lead.status)

    erase_lead(lead, admin)
    db.session.commit()
    db.session.expire_all()

    lead = db.session.get(Lead, kept[0])
    assert (lead.id, lead.created_at, lead.first_inquiry_at, lead.first_contacted_at) == kept[:4]
    assert (lead.status, lead.condition_slug, lead.source) == ("contacted", "lupus", "newsletter")
    assert lead.name == TOMBSTONE
    assert (lead.email, lead.phone, lead.email_key, lead.phone_digits) == (None, None, None, None)
    assert lead.name_key == ""
    assert lead.follow_up_on is None
    assert lead.erased_at is not None
    [inquiry] = db.session.execute(select(Inquiry).where(Inquiry.lead_id == lead.id)).scalars()
    assert (inquiry.name, inquiry.email, inquiry.phone) == (TOMBSTONE, None, None)
    assert inquiry.message == TOMBSTONE
    assert inquiry.referrer == "https://mail.example"
    assert inquiry.landing_page == "/conditions/lupus"
    assert inquiry.utm_source == "newsletter"
    assert [e.body for e in events_of(lead.id, "note")] == [TOMBSTONE]
    assert [e.body for e in events_of(lead.id, "contact")] == [TOMBSTONE]
    assert events_of(lead.id, "assign")[0].body.startswith("Assigned to Ada Admin")
    [erasure] = events_of(lead.id, "erasure")
    assert erasure.actor_id == admin.id
    [audit] = audit_rows("lead_erased")
    assert (audit.lead_id, audit.actor_id) == (lead.id, admin.id)
    assert "zoe" not in audit.detail.lower()


def test_leads_merged_into_it_are_erased_too(admin):
    keep = person()
    duplicate = make_lead("Zoe Nunez", email="zoe.work@example.com", merged_into_id=keep.id)
    erase_lead(keep, admin)
    db.session.commit()
    assert db.session.get(Lead, duplicate.id).name == TOMBSTONE
    assert db.session.get(Lead, duplicate.id).email is None
    assert len(audit_rows("lead_erased")) == 2


def test_erasing_twice_changes_nothing_more(admin):
    lead = person()
    erase_lead(lead, admin)
    db.session.commit()
    erase_lead(lead, admin)
    db.session.commit()
    assert len(audit_rows("lead_erased")) == 1
    assert len(events_of(lead.id, "erasure")) == 1


def test_the_retention_purge_can_erase_as_the_system(ctx):
    lead = person()
    erase_lead(lead, None)
    db.session.commit()
    [event] = events_of(lead.id, "erasure")
    assert event.actor_id is None
    [audit] = audit_rows("lead_erased")
    assert (audit.actor_id, audit.actor_email) == (None, "system")


def test_a_later_inquiry_from_the_same_address_starts_a_new_lead(app, submit_inquiry):
    with app.app_context():
        old = person(email="zoe.nunez@example.com")
        erase_lead(old, None)
        db.session.commit()
        old_id = old.id
    response = submit_inquiry()  # the same email and phone as before
    assert response.status_code == 303
    with app.app_context():
        leads = db.session.execute(select(Lead).order_by(Lead.id)).scalars().all()
        assert [lead.id for lead in leads][0] == old_id
        assert len(leads) == 2
        fresh = leads[1]
        assert fresh.email == "zoe.nunez@example.com"
        assert fresh.status == "new" and fresh.erased_at is None
        assert leads[0].name == TOMBSTONE and leads[0].email is None


def test_admin_erases_from_the_lead_record_after_confirming(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context():
        lead_id = person().id
    record = client.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert f'href="/staff/leads/{lead_id}/erase"' in record
    confirm = client.get(f"/staff/leads/{lead_id}/erase")
    assert confirm.status_code == 200
    assert "This can't be undone" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, lead_id).erased_at is None  # asking is not erasing
    response = client.post(
        f"/staff/leads/{lead_id}/erase",
        data={"csrf_token": token_from(confirm.get_data(as_text=True))},
        follow_redirects=True,
    )
    assert "The person&#39;s details were erased." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, lead_id).name == TOMBSTONE


def test_erasing_from_the_record_leaves_the_words_in_neither_sqlite_file(app, client):
    """The database file and its write-ahead log, read as bytes after the admin's erasure: the
    person's name and message words are in neither (the log held copies until emptied)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("SQLite's files; PostgreSQL's old row versions go with VACUUM")
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context():
        lead_id = make_lead("Quillon Varnekst", message="Since Zentravil my lupus flared").id
        assert b"Zentravil" in database_file_bytes()  # written, in the file or its log
    confirm = client.get(f"/staff/leads/{lead_id}/erase").get_data(as_text=True)
    client.post(f"/staff/leads/{lead_id}/erase", data={"csrf_token": token_from(confirm)})
    with app.app_context():
        assert db.session.get(Lead, lead_id).erased_at is not None
        found = database_file_bytes()
    for word in (b"Zentravil", b"zentravil", b"Quillon", b"Varnekst", b"varnekst"):
        assert word not in found, word


def test_erasure_needs_csrf(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin")
    with app.app_context():
        lead_id = person().id
    assert client.post(f"/staff/leads/{lead_id}/erase").status_code == 400
    with app.app_context():
        assert db.session.get(Lead, lead_id).erased_at is None


def test_coordinators_cannot_erase(app, client):
    signed_in(app, client, "casey@clinic.test", role="coordinator")
    with app.app_context():
        lead_id = person().id
    token = token_from(client.get("/staff/leads").get_data(as_text=True))
    assert client.get(f"/staff/leads/{lead_id}/erase").status_code == 403
    response = client.post(f"/staff/leads/{lead_id}/erase", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Lead, lead_id).erased_at is None
        assert audit_rows("lead_erased") == []


def test_unsent_messages_about_the_person_are_deleted(app, submit_inquiry):
    assert submit_inquiry().status_code == 303
    with app.app_context():
        lead = db.session.execute(select(Lead)).scalar_one()
        queued = select(OutboxMessage).where(OutboxMessage.lead_id == lead.id)
        assert db.session.execute(queued).scalars().all()  # the acknowledgement, the staff alert
        erase_lead(lead, None)
        db.session.commit()
        assert db.session.execute(queued).scalars().all() == []


def test_erased_words_leave_sqlites_search_indexes(admin):
    """FTS5 hides a changed row's old words behind a tombstone but keeps them in the file until
    its segments happen to merge (a test database showed them there after erase_lead with
    compact=False); the erasure rewrites the indexes without them."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's full-text indexes; PostgreSQL's old row versions go with VACUUM")
    assert db.session.execute(text("PRAGMA secure_delete")).scalar_one() == 1
    for n in range(20):
        make_lead(f"Other Person {n}", message=f"A question about joint pain, number {n}.")
    lead = person(message="Xylotrexate since Quorvaland.")
    db.session.commit()
    # FTS5 stores a term after the prefix it shares with the term before it ("question" then
    # "quorvaland" keeps "orvaland"): look for the tails of these words, which no other shares.
    assert b"lotrexate" in search_index_bytes() and b"rvaland" in search_index_bytes()
    erase_lead(lead, admin)
    db.session.commit()
    stored = search_index_bytes()
    assert b"lotrexate" not in stored and b"rvaland" not in stored
    assert b"question" in stored  # the other leads' words stay searchable
