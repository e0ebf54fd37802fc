"""Services and clinicians stored as an admin would save them, for the catalogue's tests."""

from __future__ import annotations

from clinic.content import catalogue
from clinic.content.catalogue import ClinicianDraft, ServiceDraft
from clinic.database import write_transaction
from clinic.models import Clinician, Service


def service_draft(**overrides) -> ServiceDraft:
    values = {
        "name": "Consultation with a physician",
        "kind": "consultation",
        "summary": "An hour with a physician about your diagnosis and the evidence.",
        "included": "Review of your records\nA written summary",
        "price_min_cents": 350_00,
        "price_max_cents": None,
        "price_note": "",
        "given_by_clinician_id": None,
        "given_by_text": "A physician",
        "regulatory_standing": "not_a_treatment",
        "nct_number": "",
        "position": 100,
        "published": True,
    }
    values.update(overrides)
    if values["kind"] != "consultation" and "regulatory_standing" not in overrides:
        values["regulatory_standing"] = "fda_approved"
    return ServiceDraft(**values)


def add_service(**overrides) -> Service:
    with write_transaction():
        service = catalogue.save_service(None, service_draft(**overrides))
    return service


def clinician_draft(**overrides) -> ClinicianDraft:
    values = {
        "name": "Dr. Avery Example",
        "credentials": "MD, Rheumatology",
        "licence_state": "NY",
        "licence_number": "123456",
        "bio": "Trained at an *example* hospital.",
        "position": 100,
        "published": True,
    }
    values.update(overrides)
    return ClinicianDraft(**values)


def add_clinician(**overrides) -> Clinician:
    with write_transaction():
        clinician = catalogue.save_clinician(None, clinician_draft(**overrides))
    return clinician
