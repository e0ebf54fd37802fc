"""Who an inquiry is from, decided without trusting the form: the rule that joins an inquiry to
a person's lead, the "possible same person" mark it leaves when it can't, and what staff do
with that mark.

Anyone can type a patient's phone number or email address into the public form, so sharing one
contact detail with a lead proves nothing. An inquiry joins a lead only when every contact
detail that both give agrees: the same email key, and the same phone where both have one (an
inquiry without a phone joins on its email alone). When one detail matches and another
differs — a family sharing a phone, a patient with a new number, or someone posing as a
patient — the inquiry gets a lead of its own, marked as possibly the same person as the lead
it partly matches, and staff decide: merge the two, or say they are different people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, case, or_, select, update

from clinic import audit
from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.actions import check_workable
from clinic.models import Inquiry, Lead, LeadEvent, StaffUser, utcnow


@dataclass(frozen=True)
class PersonMatch:
    """The lead an inquiry's contact details lead to, and whether the inquiry may join it."""

    lead_id: int
    joins: bool
    status: str


@lru_cache(maxsize=4)
def _person_lookup(by_email: bool, by_phone: bool) -> Select[int, int, str]:
    """The statement finding the lead sharing a contact detail with an inquiry, best first,
    built once per combination of details given: intake runs it on every inquiry.

    Best is a lead the inquiry may join, then one with the same email, then the same phone,
    then the oldest: among leads that partly match, the mark names the likeliest person.
    """
    same_email = Lead.email_key == bindparam("email_key")
    same_phone = Lead.phone_digits == bindparam("digits")
    shared, agreeing, order = [], [], []
    if by_email:
        shared.append(same_email)
        agreeing.append(or_(Lead.email_key.is_(None), same_email))
        order.append(case((same_email, 0), else_=1))
    if by_phone:
        shared.append(same_phone)
        agreeing.append(or_(Lead.phone_digits.is_(None), same_phone))
        order.append(case((same_phone, 0), else_=1))
    joins = case((and_(*agreeing), 1), else_=0)
    return (
        select(Lead.id, joins.label("joins"), Lead.status)
        .where(or_(*shared), Lead.erased_at.is_(None), Lead.merged_into_id.is_(None))
        .order_by(joins.desc(), *order, Lead.id)
        .limit(1)
    )


def find_person(email_key: str | None, phone_digits: str | None) -> PersonMatch | None:
    """The lead sharing an email key or phone with an inquiry (None: a first-time person).

    Read on the caller's transaction connection, so intake's identity lock covers it.
    """
    if not email_key and not phone_digits:
        return None
    query = _person_lookup(bool(email_key), bool(phone_digits))
    parameters = {"email_key": email_key, "digits": phone_digits}
    row = db.session.connection().execute(query, parameters).first()
    if row is None:
        return None
    return PersonMatch(row.id, bool(row.joins), row.status)


# --- the mark on the lead record and in the inbox ------------------------------------------


@dataclass(frozen=True)
class PossibleSamePerson:
    """Another lead that may be the same person as the one shown.

    ``marked`` carries the mark (the later lead, unless a merge passed the mark on) and
    ``earlier`` is the lead it points at: the one a merge keeps, so the record the person
    started stays where it was.
    """

    other: Lead
    marked: Lead
    earlier: Lead

    def differences(self) -> str:
        """Which contact details the two share and which differ, as a coordinator reads it."""
        marked, earlier = self.marked, self.earlier
        facts = []
        for label, mine, theirs in (
            ("phone number", marked.phone_digits, earlier.phone_digits),
            ("email address", marked.email_key, earlier.email_key),
            ("name", marked.name_key, earlier.name_key),
        ):
            if mine and theirs:
                facts.append(f"{'same' if mine == theirs else 'different'} {label}")
        return "; ".join(facts).capitalize()


def details_not_on_lead(inquiry: Inquiry, lead: Lead) -> list[str]:
    """The contact details an inquiry was sent with that its lead doesn't hold ("name", "email
    address", "phone number"): intake never copies them onto the lead, so the record points
    them out instead of letting them pass unseen."""
    if lead.erased_at is not None:
        return []
    sent = (
        ("name", normalise.fold(inquiry.name or ""), lead.name_key),
        ("email address", normalise.email_key(inquiry.email), lead.email_key),
        ("phone number", normalise.phone_digits(inquiry.phone), lead.phone_digits),
    )
    return [label for label, given, held in sent if given and given != held]


def possible_same_people(lead: Lead) -> list[PossibleSamePerson]:
    """The leads marked as possibly the same person as ``lead``, either way round (one query,
    through the primary key and the partial index of marked leads)."""
    linked = [Lead.possible_duplicate_of_id == lead.id]
    if lead.possible_duplicate_of_id is not None:
        linked.append(Lead.id == lead.possible_duplicate_of_id)
    others = db.session.execute(
        select(Lead)
        .where(or_(*linked), Lead.erased_at.is_(None), Lead.merged_into_id.is_(None))
        .order_by(Lead.id)
    ).scalars()
    pairs = []
    for other in others:
        if other.id == lead.possible_duplicate_of_id:
            pairs.append(PossibleSamePerson(other, marked=lead, earlier=other))
        else:
            pairs.append(PossibleSamePerson(other, marked=other, earlier=lead))
    return pairs


def dismiss_possible_duplicate(
    lead: Lead, other: Lead, actor: StaffUser, *, now: datetime | None = None
) -> bool:
    """Staff know the two leads are different people: the mark between them goes, and both
    timelines and the audit log say who decided. Both leads should be locked by the caller.

    Returns False when no mark linked them (already dismissed, or merged meanwhile).

    :raise LeadActionError: when either lead is erased or merged into another.
    """
    check_workable(lead)
    check_workable(other)
    if lead.possible_duplicate_of_id == other.id:
        marked, earlier = lead, other
    elif other.possible_duplicate_of_id == lead.id:
        marked, earlier = other, lead
    else:
        return False
    now = now or utcnow()
    marked.possible_duplicate_of_id = None
    for one, another in ((marked, earlier), (earlier, marked)):
        db.session.add(
            LeadEvent(
                lead_id=one.id,
                created_at=now,
                actor_id=actor.id,
                kind="identity",
                body=f"Not the same person as lead #{another.id}",
            )
        )
        audit.record(
            "possible_duplicate_dismissed",
            lead_id=one.id,
            actor=actor,
            detail=f"not the same person as lead {another.id}",
        )
    db.session.flush()
    return True


def resolve_marks_on_merge(keep: Lead, duplicate: Lead) -> bool:
    """Carry the marks through a merge of ``duplicate`` into ``keep``; True when a mark between
    the two was what the merge settled.

    A merged lead carries no mark: one it held against a third lead passes to ``keep`` if
    ``keep`` has none (the question still stands), and leads marked against it point at
    ``keep`` instead, as merged leads do.
    """
    settled = duplicate.id == keep.possible_duplicate_of_id or (
        keep.id == duplicate.possible_duplicate_of_id
    )
    if keep.possible_duplicate_of_id == duplicate.id:
        keep.possible_duplicate_of_id = None
    inherited = duplicate.possible_duplicate_of_id
    if keep.possible_duplicate_of_id is None and inherited not in (None, keep.id):
        keep.possible_duplicate_of_id = inherited
    duplicate.possible_duplicate_of_id = None
    db.session.execute(
        update(Lead)
        .where(Lead.possible_duplicate_of_id == duplicate.id, Lead.id != keep.id)
        .values(possible_duplicate_of_id=keep.id)
    )
    return settled


def clear_marks(lead_ids: list[int]) -> None:
    """Erased leads are nobody to compare with: marks on them or against them go."""
    marked = and_(Lead.id.in_(lead_ids), Lead.possible_duplicate_of_id.is_not(None))
    db.session.execute(
        update(Lead)
        .where(or_(marked, Lead.possible_duplicate_of_id.in_(lead_ids)))
        .values(possible_duplicate_of_id=None)
    )
