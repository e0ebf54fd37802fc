"""Everything the lead record shows, loaded in a fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.identity import PossibleSamePerson, details_not_on_lead, possible_same_people
from clinic.models import Inquiry, Lead, LeadEvent


@dataclass
class LeadRecord:
    lead: Lead
    inquiries: list[Inquiry]
    events: list[LeadEvent]
    possible_same_people: list[PossibleSamePerson] = field(default_factory=list)

    @property
    def inquiries_by_id(self) -> dict[int, Inquiry]:
        return {inquiry.id: inquiry for inquiry in self.inquiries}

    @property
    def latest_inquiry(self) -> Inquiry | None:
        return self.inquiries[-1] if self.inquiries else None

    @cached_property
    def details_not_on_lead(self) -> dict[int, list[str]]:
        """Per inquiry, the contact details it was sent with that the lead doesn't hold."""
        return {inquiry.id: details_not_on_lead(inquiry, self.lead) for inquiry in self.inquiries}


def load_record(lead_id: int) -> LeadRecord | None:
    """The lead, its inquiries (oldest first), its timeline (newest first) and the leads that
    may be the same person."""
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        return None
    inquiries = db.session.execute(
        select(Inquiry).where(Inquiry.lead_id == lead_id).order_by(Inquiry.created_at, Inquiry.id)
    ).scalars()
    events = db.session.execute(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead_id)
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
    ).scalars()
    return LeadRecord(lead, list(inquiries), list(events), possible_same_people(lead))
