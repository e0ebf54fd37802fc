"""Everything the lead record shows, loaded in a fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import select

from clinic.extensions import db
from clinic.leads.appointments import appointments_for_lead, is_ahead
from clinic.leads.identity import PossibleSamePerson, details_not_on_lead, possible_same_people
from clinic.models import Appointment, Inquiry, Lead, LeadEvent


@dataclass
class LeadRecord:
    lead: Lead
    inquiries: list[Inquiry]
    events: list[LeadEvent]
    possible_same_people: list[PossibleSamePerson] = field(default_factory=list)
    # Booked ones first, soonest first, then the settled ones, newest first.
    appointments: list[Appointment] = field(default_factory=list)

    @cached_property
    def event_groups(self) -> list[list[LeadEvent]]:
        """The timeline, newest first, with the entries one action made together (same moment,
        same person: a contact with its change of stage and follow-up) in one group, in the
        order they were made."""
        groups: list[list[LeadEvent]] = []
        for event in self.events:
            if groups and _same_action(groups[-1][0], event):
                groups[-1].append(event)
            else:
                groups.append([event])
        return [group[::-1] for group in groups]

    def next_appointment(self, now: datetime) -> Appointment | None:
        """The booked consultation still to come or under way, soonest first."""
        return next((a for a in self.appointments if is_ahead(a, now)), None)

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


def _same_action(first: LeadEvent, other: LeadEvent) -> bool:
    return (first.created_at, first.actor_id) == (other.created_at, other.actor_id)


def load_record(lead_id: int) -> LeadRecord | None:
    """The lead, its inquiries (oldest first), its timeline (newest first), the leads that may
    be the same person and its consultations."""
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
    return LeadRecord(
        lead,
        list(inquiries),
        list(events),
        possible_same_people(lead),
        appointments_for_lead(lead_id),
    )
