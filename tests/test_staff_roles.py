"""Editors and clinical reviewers: who may see what, and how an admin marks a reviewer."""

from __future__ import annotations

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.staff import accounts
from tests.lead_helpers import audit_rows, signed_in
from tests.staff_helpers import csrf_token_for, make_staff


def test_an_editor_is_refused_the_leads_and_keeps_their_account_page(app, client):
    signed_in(app, client, "ed@clinic.test", role="editor", name="Eddie Editor")

    assert client.get("/staff/leads").status_code == 403
    assert client.get("/staff/reports").status_code == 403
    account = client.get("/staff/account")
    assert account.status_code == 200
    page = account.get_data(as_text=True)
    assert ">Leads<" not in page  # the navigation offers no patient pages
    assert ">Today<" not in page


def test_a_coordinator_still_opens_the_leads(app, client):
    signed_in(app, client, "co@clinic.test")
    assert client.get("/staff/leads").status_code == 200


def _reviewer_post(client, user_id: int, **fields) -> object:
    token = csrf_token_for(client, f"/staff/users/{user_id}")
    return client.post(f"/staff/users/{user_id}/reviewer", data={"csrf_token": token, **fields})


def test_an_admin_marks_a_clinical_reviewer_with_credentials(app, client):
    signed_in(app, client, "boss@clinic.test", role="admin", name="Bo Admin")
    with app.app_context():
        doctor = make_staff("dana@clinic.test", name="Dana Reyes")

    response = _reviewer_post(
        client, doctor.id, reviewer="y", degree=" MD ", specialty="Rheumatology"
    )

    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(StaffUser, doctor.id)
        assert stored.is_clinical_reviewer
        assert stored.credentials == "Dana Reyes, MD, Rheumatology"
        [row] = audit_rows("reviewer_changed")
        assert row.detail == "dana@clinic.test: clinical reviewer (Dana Reyes, MD, Rheumatology)"
    page = client.get(f"/staff/users/{doctor.id}").get_data(as_text=True)
    assert "clinical reviewer (Dana Reyes, MD, Rheumatology)" in page


def test_a_reviewer_needs_a_degree_and_nothing_changes_without_one(app, client):
    signed_in(app, client, "boss@clinic.test", role="admin", name="Bo Admin")
    with app.app_context():
        doctor = make_staff("dana@clinic.test", name="Dana Reyes")

    response = _reviewer_post(client, doctor.id, reviewer="y", degree="", specialty="")

    assert response.status_code == 400
    assert "Enter the degree a reviewer&#39;s byline shows" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(StaffUser, doctor.id).is_clinical_reviewer
        assert audit_rows("reviewer_changed") == []


def test_a_coordinator_cannot_mark_reviewers(app, client):
    with app.app_context():
        doctor = make_staff("dana@clinic.test", name="Dana Reyes")
    signed_in(app, client, "co@clinic.test")
    token = csrf_token_for(client, "/staff/account")
    response = client.post(
        f"/staff/users/{doctor.id}/reviewer",
        data={"csrf_token": token, "reviewer": "y", "degree": "MD"},
    )
    assert response.status_code == 403


def test_role_change_to_editor_is_recorded(ctx):
    admin = make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    person = make_staff("co@clinic.test")
    accounts.change_role(person, "editor", by=admin)
    db.session.commit()
    assert db.session.get(StaffUser, person.id).sees_patient_data is False
    [row] = audit_rows("role_changed")
    assert row.detail == "co@clinic.test: coordinator → editor"
