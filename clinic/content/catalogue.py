"""What the clinic offers, what it costs and who gives it: the rules for services and clinicians.

Services are the consultation and each treatment programme. Each carries one regulatory
standing from a fixed list (clinic.models.services.REGULATORY_STANDINGS): a registered trial
must name its ClinicalTrials.gov NCT number, and an investigational service offered outside a
trial is always shown with FDA's consumer warning beside it (templates/public/_fda_warning.html);
no setting removes it. Nothing here invents a clinic's prices: the catalogue starts empty, and
`check-deploy` refuses a production site that publishes no service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from clinic import audit
from clinic.extensions import db
from clinic.models import Clinician, Service, StaffUser
from clinic.models.services import (
    INVESTIGATIONAL,
    NOT_A_TREATMENT,
    REGISTERED_TRIAL,
    REGULATORY_STANDINGS,
    SERVICE_KINDS,
)

NCT_NUMBER = re.compile(r"^NCT\d{8}$")
CURRENCY_SIGNS = {"USD": "$"}
PRICE_MAX_CENTS = 10_000_000_00  # ten million dollars: anything above is a typing mistake
# FDA's consumer update the warning beside an investigational service cites (verified title,
# date and address; the warning's sentences are the clinic's own).
FDA_WARNING_SOURCE = {
    "title": "Important Patient and Consumer Information About Regenerative Medicine Therapies",
    "publisher": "U.S. Food and Drug Administration",
    "date": "June 3, 2021",
    "url": "https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/"
    "important-patient-and-consumer-information-about-regenerative-medicine-therapies",
    "contact": "ocod@fda.hhs.gov",
}


class CatalogueError(ValueError):
    """A service or clinician can't be saved as given; ``errors`` maps each field to its fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# -- reading --------------------------------------------------------------------------------


def _service_order():
    # The consultation first: it is what every patient's path starts with.
    return (Service.kind != "consultation", Service.position, Service.name, Service.id)


def published_services() -> list[Service]:
    return list(
        db.session.execute(
            select(Service).where(Service.published.is_(True)).order_by(*_service_order())
        ).scalars()
    )


def all_services() -> list[Service]:
    return list(db.session.execute(select(Service).order_by(*_service_order())).scalars())


def published_service_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(Service).where(Service.published.is_(True))
    ).scalar_one()


def published_clinicians() -> list[Clinician]:
    return list(
        db.session.execute(
            select(Clinician)
            .where(Clinician.published.is_(True))
            .order_by(Clinician.position, Clinician.name, Clinician.id)
        ).scalars()
    )


def all_clinicians() -> list[Clinician]:
    return list(
        db.session.execute(
            select(Clinician).order_by(Clinician.position, Clinician.name, Clinician.id)
        ).scalars()
    )


@dataclass(frozen=True)
class Offer:
    """The published consultation as the inquiry form mentions it (plain values, safe to keep
    in a worker's cache)."""

    name: str
    price: str
    price_note: str


def consultation_offer() -> Offer | None:
    """The first published consultation, or None: the form then names no price."""
    service = db.session.execute(
        select(Service)
        .where(Service.published.is_(True), Service.kind == "consultation")
        .order_by(*_service_order())
        .limit(1)
    ).scalar_one_or_none()
    if service is None:
        return None
    return Offer(service.name, format_price(service), service.price_note)


# -- money ----------------------------------------------------------------------------------


def format_cents(cents: int, currency: str = "USD") -> str:
    """4000_00 → '$4,000'; 350_50 → '$350.50'."""
    whole, part = divmod(cents, 100)
    amount = f"{whole:,}" if not part else f"{whole:,}.{part:02d}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount}" if sign else f"{amount} {currency}"


def format_price(service: Service) -> str:
    """'$350', or a range: '$4,000–$6,500'."""
    low = format_cents(service.price_min_cents, service.currency)
    if service.price_max_cents is None or service.price_max_cents == service.price_min_cents:
        return low
    return f"{low}–{format_cents(service.price_max_cents, service.currency)}"


def parse_money(text: str | None) -> int | None:
    """'$4,000', '4000' or '350.50' → cents; blank → None.

    :raise ValueError: for anything that is not an amount of money.
    """
    cleaned = (text or "").strip().replace(",", "").replace("$", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Enter an amount in dollars, like 350 or 4,000.") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Enter an amount in dollars, like 350 or 4,000.")
    cents = int(amount * 100)
    if cents > PRICE_MAX_CENTS:
        raise ValueError("That amount is too large: check it for a typing mistake.")
    return cents


# -- services -------------------------------------------------------------------------------


@dataclass
class ServiceDraft:
    """A service as an admin entered it (prices already in cents)."""

    name: str
    kind: str
    summary: str
    included: str
    price_min_cents: int | None
    price_max_cents: int | None
    price_note: str
    given_by_clinician_id: int | None
    given_by_text: str
    regulatory_standing: str
    nct_number: str
    position: int
    published: bool
    currency: str = "USD"


def normalise_nct(text: str | None) -> str:
    return re.sub(r"[\s-]", "", text or "").upper()


def service_errors(draft: ServiceDraft) -> dict[str, str]:
    """Each field's problem, in the words the form shows; empty when the draft may be saved."""
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Give the service a name."
    if draft.kind not in SERVICE_KINDS:
        errors["kind"] = "Choose whether this is the consultation or a treatment programme."
    if draft.price_min_cents is None:
        errors["price_min"] = "Enter the price (the lowest price, for a range)."
    elif draft.price_max_cents is not None and draft.price_max_cents < draft.price_min_cents:
        errors["price_max"] = "The highest price must not be lower than the lowest price."
    if draft.regulatory_standing not in REGULATORY_STANDINGS:
        errors["regulatory_standing"] = "Choose the service's regulatory standing."
    elif (draft.regulatory_standing == NOT_A_TREATMENT) != (draft.kind == "consultation"):
        errors["regulatory_standing"] = (
            "Only the consultation is “not a treatment”; a treatment programme is FDA-approved "
            "for its use, part of a registered trial, or investigational outside a trial."
            if draft.kind != "consultation"
            else "A consultation gives no treatment: choose “Not a treatment”."
        )
    nct = normalise_nct(draft.nct_number)
    if draft.regulatory_standing == REGISTERED_TRIAL:
        if not nct:
            errors["nct_number"] = (
                "Enter the trial's ClinicalTrials.gov number (NCT and eight digits): patients "
                "need it to look the trial up."
            )
        elif not NCT_NUMBER.match(nct):
            errors["nct_number"] = (
                "An NCT number is NCT followed by eight digits, e.g. NCT01234567."
            )
    elif nct:
        errors["nct_number"] = (
            "Only a service given as part of a registered clinical trial has an NCT number: "
            "choose that standing, or clear the number."
        )
    if draft.given_by_clinician_id is not None:
        if db.session.get(Clinician, draft.given_by_clinician_id) is None:
            errors["given_by_clinician_id"] = "Choose a clinician from the list."
    elif draft.published and not draft.given_by_text.strip():
        errors["given_by_clinician_id"] = (
            "Say who gives this service (choose a clinician or describe who) before publishing it."
        )
    return errors


def shows_fda_warning(service: Service) -> bool:
    """Investigational services outside a trial always carry FDA's consumer warning."""
    return service.regulatory_standing == INVESTIGATIONAL


def _service_settings(service: Service) -> dict[str, str]:
    return {
        "name": service.name,
        "price": format_price(service),
        "standing": service.regulatory_standing,
        "nct": service.nct_number or "",
        "published": "yes" if service.published else "no",
    }


def save_service(service: Service | None, draft: ServiceDraft) -> Service:
    """Create or change a service, audited with what changed; call inside write_transaction.

    :raise CatalogueError: when the draft breaks a rule (see :func:`service_errors`).
    """
    errors = service_errors(draft)
    if errors:
        raise CatalogueError(errors)
    before = _service_settings(service) if service is not None else {}
    if service is None:
        service = Service()
        db.session.add(service)
    assert draft.price_min_cents is not None  # service_errors refuses a draft without it
    service.name = draft.name.strip()
    service.kind = draft.kind
    service.summary = draft.summary.strip()
    service.included = draft.included.strip()
    service.price_min_cents = draft.price_min_cents
    same = draft.price_max_cents == draft.price_min_cents
    service.price_max_cents = None if same else draft.price_max_cents
    service.currency = draft.currency
    service.price_note = draft.price_note.strip()
    service.given_by_clinician_id = draft.given_by_clinician_id
    service.given_by_text = draft.given_by_text.strip()
    service.regulatory_standing = draft.regulatory_standing
    service.nct_number = normalise_nct(draft.nct_number) or None
    service.position = draft.position
    service.published = draft.published
    db.session.flush()
    audit.record(
        "service_created" if not before else "service_changed",
        detail=f"service {service.id}: {audit.changes(before, _service_settings(service))}",
    )
    return service


# -- clinicians -----------------------------------------------------------------------------


@dataclass
class ClinicianDraft:
    name: str
    credentials: str
    licence_state: str
    licence_number: str
    bio: str
    position: int
    published: bool
    staff_user_id: int | None = None


def clinician_errors(draft: ClinicianDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter the clinician's name."
    if not draft.credentials.strip():
        errors["credentials"] = "Enter their credentials, e.g. MD, Rheumatology."
    if not draft.licence_state.strip():
        errors["licence_state"] = "Enter the state that issued their license."
    if not draft.licence_number.strip():
        errors["licence_number"] = (
            "Enter their license number: patients use it to check the license with the state."
        )
    if draft.staff_user_id is not None and db.session.get(StaffUser, draft.staff_user_id) is None:
        errors["staff_user_id"] = "Choose a staff account from the list."
    return errors


def _clinician_settings(clinician: Clinician) -> dict[str, str]:
    return {
        "name": clinician.name,
        "credentials": clinician.credentials,
        "licence": f"{clinician.licence_state} {clinician.licence_number}",
        "published": "yes" if clinician.published else "no",
    }


def save_clinician(clinician: Clinician | None, draft: ClinicianDraft) -> Clinician:
    """Create or change a clinician, audited; call inside write_transaction.

    :raise CatalogueError: when a required fact is missing.
    """
    errors = clinician_errors(draft)
    if errors:
        raise CatalogueError(errors)
    before = _clinician_settings(clinician) if clinician is not None else {}
    if clinician is None:
        clinician = Clinician()
        db.session.add(clinician)
    clinician.name = draft.name.strip()
    clinician.credentials = draft.credentials.strip()
    clinician.licence_state = draft.licence_state.strip()
    clinician.licence_number = draft.licence_number.strip()
    clinician.bio = draft.bio.strip()
    clinician.position = draft.position
    clinician.published = draft.published
    clinician.staff_user_id = draft.staff_user_id
    db.session.flush()
    audit.record(
        "clinician_created" if not before else "clinician_changed",
        detail=f"clinician {clinician.id}: {audit.changes(before, _clinician_settings(clinician))}",
    )
    return clinician
