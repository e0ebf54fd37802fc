"""What the clinic offers and who gives it: clinicians and services, with prices and each
service's regulatory standing, shown on the public /services and /clinicians pages.

Admins edit both in the browser (staff.services, staff.clinicians); the rules a service must
meet before it is saved (a price range in order, an NCT number for a trial) are in
clinic.content.catalogue, and the table's check constraints repeat the two that matter most.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, UTCDateTime, utcnow

SERVICE_KINDS = {"consultation": "Consultation", "programme": "Treatment programme"}
# The only standings a service can have, as patients read them. FDA's consumer advice turns on
# exactly this: approved for the use, given inside a registered trial, or neither. A consultation
# gives no product, so "FDA-approved" would mislead: it alone is "not a treatment".
REGULATORY_STANDINGS = {
    "not_a_treatment": "Not a treatment: a conversation with a physician",
    "fda_approved": "FDA-approved for this use",
    "registered_trial": "Part of a registered clinical trial",
    "investigational_outside_trial": "Investigational, offered outside a clinical trial",
}
NOT_A_TREATMENT = "not_a_treatment"
REGISTERED_TRIAL = "registered_trial"
INVESTIGATIONAL = "investigational_outside_trial"


class Clinician(Base):
    """A person who gives the clinic's services, as patients are told about them."""

    __tablename__ = "clinicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(120))  # "MD, Rheumatology"
    licence_state: Mapped[str] = mapped_column(String(60))  # "NY" or "New York"
    licence_number: Mapped[str] = mapped_column(String(60))
    # Plain text or a little Markdown, rendered through clinic.content.render.
    bio: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=100)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # The clinician's staff account, if they have one (a reviewer, say); never shown publicly.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Service(Base):
    """One thing a patient can pay for: the consultation or a treatment programme."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # a key of SERVICE_KINDS
    summary: Mapped[str] = mapped_column(String(500), default="")
    included: Mapped[str] = mapped_column(Text, default="")  # one item a line
    # Whole cents; no maximum means a single price, a maximum a range ("$4,000–$6,500").
    price_min_cents: Mapped[int] = mapped_column(Integer)
    price_max_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    price_note: Mapped[str] = mapped_column(String(300), default="")
    # Who gives it: a clinician on the clinicians page, or words ("a registered nurse").
    given_by_clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinicians.id"))
    given_by_text: Mapped[str] = mapped_column(String(200), default="")
    regulatory_standing: Mapped[str] = mapped_column(String(40))  # a key of REGULATORY_STANDINGS
    nct_number: Mapped[str | None] = mapped_column(String(11))  # NCT and eight digits
    position: Mapped[int] = mapped_column(Integer, default=100)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "price_max_cents IS NULL OR price_max_cents >= price_min_cents", name="price_order"
        ),
        CheckConstraint(
            "regulatory_standing <> 'registered_trial' OR nct_number IS NOT NULL",
            name="trial_has_nct",
        ),
    )

    @property
    def standing_label(self) -> str:
        return REGULATORY_STANDINGS.get(self.regulatory_standing, self.regulatory_standing)

    @property
    def kind_label(self) -> str:
        return SERVICE_KINDS.get(self.kind, self.kind)

    @property
    def nct_url(self) -> str | None:
        if not self.nct_number:
            return None
        return f"https://clinicaltrials.gov/study/{self.nct_number}"

    @property
    def included_items(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.included.splitlines() if line.strip(" -•\t")]
