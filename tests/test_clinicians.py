"""The clinicians page: each published clinician's name, credentials, licence and bio, edited by
admins in the browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic.content import catalogue
from clinic.content.catalogue import CatalogueError
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import AuditEntry, Clinician
from tests.catalogue_helpers import add_clinician, clinician_draft
from tests.conftest import csrf_token_from
from tests.lead_helpers import signed_in


def test_clinicians_page_shows_credentials_licence_and_bio(client, app):
    with app.app_context():
        person_id = add_clinician(
            bio="Trained at an *example* hospital.\n\n<script>alert(1)</script>"
        ).id
        add_clinician(name="Dr. Hidden Draft", published=False)
    html = client.get("/clinicians").get_data(as_text=True)
    assert f'id="clinician-{person_id}"' in html
    assert "Dr. Avery Example" in html and "MD, Rheumatology" in html
    assert "Licensed in NY, license number" in html and "123456" in html
    assert "<em>example</em>" in html
    assert "<script>alert(1)</script>" not in html
    assert "Dr. Hidden Draft" not in html


def test_clinicians_page_without_clinicians_says_so(client):
    html = client.get("/clinicians").get_data(as_text=True)
    assert "This clinic has not published its clinicians yet." in html


@pytest.mark.parametrize("missing", ["name", "credentials", "licence_state", "licence_number"])
def test_a_clinician_needs_name_credentials_and_licence(ctx, missing):
    with pytest.raises(CatalogueError) as refused, write_transaction():
        catalogue.save_clinician(None, clinician_draft(**{missing: "  "}))
    assert missing in refused.value.errors
    assert db.session.execute(select(Clinician)).first() is None


def test_an_admin_adds_a_clinician_in_the_browser(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin", name="Ada Admin")
    html = client.get("/staff/settings/clinicians/new").get_data(as_text=True)
    assert 'aria-label="Clinic settings"' in html
    refused = client.post(
        "/staff/settings/clinicians/new",
        data={"csrf_token": csrf_token_from(html), "name": "Dr. New", "credentials": "MD"},
    )
    assert refused.status_code == 400
    assert "Enter their license number." in refused.get_data(as_text=True)
    response = client.post(
        "/staff/settings/clinicians/new",
        data={
            "csrf_token": csrf_token_from(html),
            "name": "Dr. New Person",
            "credentials": "DO, Sports medicine",
            "licence_state": "NJ",
            "licence_number": "25MA0001",
            "bio": "Ten years in sports medicine.",
            "published": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.execute(select(Clinician)).scalar_one()
        assert (person.licence_state, person.licence_number) == ("NJ", "25MA0001")
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "clinician_created")
        ).scalar_one()
        assert "NJ 25MA0001" in entry.detail
    assert "Dr. New Person" in client.get("/staff/settings/clinicians").get_data(as_text=True)
    assert "DO, Sports medicine" in client.get("/clinicians").get_data(as_text=True)
