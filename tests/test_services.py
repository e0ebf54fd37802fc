"""What the clinic offers and what it costs: /services with each service's price and regulatory
standing, the rules a service must meet, the admin pages, and check-deploy's refusal of a
production site that publishes none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic.content import catalogue
from clinic.content.catalogue import CatalogueError
from clinic.database import write_transaction
from clinic.deploy_checks import check_published_services
from clinic.extensions import db
from clinic.models import AuditEntry, Service
from tests.catalogue_helpers import add_clinician, add_service, service_draft
from tests.conftest import csrf_token_from
from tests.lead_helpers import signed_in

FDA_UPDATE = (
    "https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/"
    "important-patient-and-consumer-information-about-regenerative-medicine-therapies"
)


def three_services():
    add_service(name="Consultation with a physician", price_min_cents=350_00)
    add_service(
        name="Knee programme in the ACME trial",
        kind="programme",
        regulatory_standing="registered_trial",
        nct_number="nct 0123-4567",
        price_min_cents=0,
    )
    add_service(
        name="Cell therapy programme",
        kind="programme",
        regulatory_standing="investigational_outside_trial",
        price_min_cents=4000_00,
        price_max_cents=6500_00,
        included="Three injections\n- Two follow-up calls",
    )


def test_services_page_shows_each_price_and_standing_badge(client, app):
    with app.app_context():
        three_services()
        add_service(name="Unpublished draft", published=False)
    html = client.get("/services").get_data(as_text=True)
    assert "Consultation with a physician" in html and "$350" in html
    assert "$4,000–$6,500" in html
    assert "Unpublished draft" not in html
    assert (
        'class="standing standing--not_a_treatment">Not a treatment: a conversation with a '
        "physician</span>" in html
    )
    assert (
        'class="standing standing--investigational_outside_trial">Investigational, offered '
        "outside a clinical trial</span>" in html
    )
    # The trial's number, normalised, links to its ClinicalTrials.gov record.
    assert 'href="https://clinicaltrials.gov/study/NCT01234567"' in html
    assert "Part of a registered clinical trial: <a" in html
    assert "<li>Three injections</li>" in html and "<li>Two follow-up calls</li>" in html


def test_fda_warning_is_beside_investigational_services_only(client, app):
    with app.app_context():
        add_service(name="Approved thing")
    assert FDA_UPDATE not in client.get("/services").get_data(as_text=True)
    with app.app_context():
        add_service(
            name="Cell therapy programme",
            kind="programme",
            regulatory_standing="investigational_outside_trial",
        )
    html = client.get("/services").get_data(as_text=True)
    assert html.count(f'href="{FDA_UPDATE}"') == 1
    assert "Not approved by the FDA, and not part of a clinical trial" in html
    assert "June 3, 2021" in html


def test_services_page_without_published_services_says_so(client, app):
    with app.app_context():
        add_service(published=False)
    html = client.get("/services").get_data(as_text=True)
    assert "This clinic has not published its services and prices yet." in html
    assert "$350" not in html


def test_header_links_to_services(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/services"' in html


def test_inquiry_form_names_the_consultation_price_once_published(client, app):
    html = client.get("/inquire").get_data(as_text=True)
    assert "inquiry__price" not in html
    with app.app_context():
        add_service(name="Consultation with a physician", price_note="Paid at the visit")
    html = client.get("/inquire").get_data(as_text=True)
    assert "Consultation with a physician: <strong>$350</strong><br>Paid at the visit<br>" in html
    assert 'href="/services">All services and prices</a>' in html


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"regulatory_standing": "registered_trial", "nct_number": ""}, "nct_number", "NCT"),
        (
            {"regulatory_standing": "registered_trial", "nct_number": "NCT123"},
            "nct_number",
            "eight",
        ),
        ({"nct_number": "NCT01234567"}, "nct_number", "Only a service"),
        ({"price_min_cents": 500_00, "price_max_cents": 400_00}, "price_max", "not be lower"),
        ({"price_min_cents": None}, "price_min", "Enter the price"),
        ({"regulatory_standing": "approved-ish"}, "regulatory_standing", "standing"),
        ({"given_by_text": "", "published": True}, "given_by_clinician_id", "who gives"),
    ],
)
def test_a_service_breaking_a_rule_is_refused(ctx, change, field, words):
    with pytest.raises(CatalogueError) as refused, write_transaction():
        catalogue.save_service(None, service_draft(**change))
    assert words in refused.value.errors[field]
    assert db.session.execute(select(Service)).first() is None


def test_a_single_price_entered_as_a_range_is_stored_as_one_price(ctx):
    service = add_service(price_min_cents=300_00, price_max_cents=300_00)
    assert service.price_max_cents is None
    assert catalogue.format_price(service) == "$300"


@pytest.mark.parametrize(
    ("text", "cents"), [("350", 350_00), ("$4,000", 4000_00), ("99.50", 99_50), ("", None)]
)
def test_prices_are_read_as_dollars(text, cents):
    assert catalogue.parse_money(text) == cents


@pytest.mark.parametrize("text", ["-5", "12.345", "three hundred"])
def test_what_is_not_a_price_is_refused(text):
    with pytest.raises(ValueError, match="amount"):
        catalogue.parse_money(text)


def _admin(app, client):
    return signed_in(app, client, "admin@clinic.test", role="admin", name="Ada Admin")


def test_an_admin_adds_a_service_in_the_browser_and_it_is_audited(app, client):
    _admin(app, client)
    with app.app_context():
        person = add_clinician()
        person_id = person.id
    page = client.get("/staff/settings/services/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'aria-label="Clinic settings"' in html  # the settings tabs
    response = client.post(
        "/staff/settings/services/new",
        data={
            "csrf_token": csrf_token_from(html),
            "name": "Knee programme",
            "kind": "programme",
            "price_min": "4,000",
            "price_max": "6500",
            "given_by_clinician_id": str(person_id),
            "regulatory_standing": "registered_trial",
            "nct_number": "NCT01234567",
            "position": "10",
            "published": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        service = db.session.execute(select(Service)).scalar_one()
        assert (service.price_min_cents, service.price_max_cents) == (4000_00, 6500_00)
        assert service.nct_number == "NCT01234567" and service.given_by_clinician_id == person_id
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "service_created")
        ).scalar_one()
        assert entry.actor_email == "admin@clinic.test" and "NCT01234567" in entry.detail
    html = client.get("/services").get_data(as_text=True)
    assert f'href="/clinicians#clinician-{person_id}">Dr. Avery Example</a>' in html


def test_the_admin_form_shows_what_to_fix_and_saves_nothing(app, client):
    _admin(app, client)
    html = client.get("/staff/settings/services/new").get_data(as_text=True)
    response = client.post(
        "/staff/settings/services/new",
        data={
            "csrf_token": csrf_token_from(html),
            "name": "Trial programme",
            "kind": "programme",
            "price_min": "6500",
            "price_max": "4000",
            "given_by_text": "A physician",
            "regulatory_standing": "registered_trial",
            "nct_number": "",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert "ClinicalTrials.gov number (NCT and eight digits)" in html
    assert "The highest price must not be lower than the lowest price." in html
    with app.app_context():
        assert db.session.execute(select(Service)).first() is None


def test_an_admin_changes_a_service(app, client):
    _admin(app, client)
    with app.app_context():
        service_id = add_service().id
    html = client.get(f"/staff/settings/services/{service_id}").get_data(as_text=True)
    assert 'value="350"' in html
    response = client.post(
        f"/staff/settings/services/{service_id}",
        data={
            "csrf_token": csrf_token_from(html),
            "name": "Consultation with a physician",
            "kind": "consultation",
            "price_min": "400",
            "given_by_text": "A physician",
            "regulatory_standing": "not_a_treatment",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        service = db.session.get_one(Service, service_id)
        assert service.price_min_cents == 400_00 and not service.published
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "service_changed")
        ).scalar_one()
        assert "$350 → $400" in entry.detail


@pytest.mark.parametrize("role", ["coordinator", "editor"])
@pytest.mark.parametrize(
    "path",
    [
        "/staff/settings/services",
        "/staff/settings/services/new",
        "/staff/settings/clinicians",
        "/staff/settings/clinicians/new",
    ],
)
def test_only_admins_open_the_catalogue_pages(app, client, role, path):
    signed_in(app, client, f"{role}@clinic.test", role=role)
    assert client.get(path).status_code == 403


def test_check_deploy_fails_while_no_service_is_published(app, runner):
    with app.app_context():
        [finding] = check_published_services()
        assert finding.blocking and "No service is published" in finding.problem
        result = runner.invoke(args=["check-deploy"])
        assert result.exit_code == 1
        assert "No service is published" in result.output
        add_service(published=False)
        assert check_published_services() != []
        add_service(name="Published one")
        assert check_published_services() == []
        assert "No service is published" not in runner.invoke(args=["check-deploy"]).output


@pytest.mark.parametrize(
    ("kind", "standing", "message"),
    [
        ("consultation", "fda_approved", "A consultation gives no treatment"),
        ("programme", "not_a_treatment", "Only the consultation is “not a treatment”"),
    ],
)
def test_only_the_consultation_is_not_a_treatment(ctx, kind, standing, message):
    errors = catalogue.service_errors(service_draft(kind=kind, regulatory_standing=standing))
    assert errors["regulatory_standing"].startswith(message)
