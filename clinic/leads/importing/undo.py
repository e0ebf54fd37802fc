"""Undoing an import: the leads, inquiries and notes it created go, unless someone or something
has touched them since; what stays is listed with the reason.

A lead the import created is removed with everything on it only while it is exactly as the
import left it: not changed (status, owner, follow-up, details: its ``updated_at`` is still the
import's), with no inquiry, timeline entry, consultation or bulk change of anyone else's, not
merged or erased, and no later lead marked as possibly the same person. An inquiry the import
added to a lead that was already stored is removed with its timeline entries, and the lead's
count of inquiries put right, unless that lead was erased or a lead of the import was merged
into it (the inquiries then can't be told apart). Runs a page of leads per transaction, so the
public form never waits long; an undo cut short is finished by running it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import aliased

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import derived
from clinic.leads.importing.run import ImportStateError, locked_batch, sqlite_trigger_set_aside
from clinic.models import (
    Appointment,
    Base,
    BulkActionLead,
    ImportChunk,
    Inquiry,
    Lead,
    LeadEvent,
    StaffUser,
    utcnow,
)

PAGE = 500
UNDOABLE = ("running", "done", "undoing")

_FORGET_NAME_SEARCH = text(
    """INSERT INTO leads_fts (leads_fts, rowid, name_key, email_key, phone_digits)
    SELECT 'delete', id, name_key, email_key, phone_digits FROM leads WHERE id IN :leads"""
).bindparams(bindparam("leads", expanding=True))
_TAKE_COUNT = text(
    """UPDATE lead_counts SET leads = leads - :leads
    WHERE status = :status AND condition_slug = :condition AND owner_key = :owner"""
)


@dataclass
class UndoReport:
    """What an undo removed, and the leads it left with the reason for each."""

    leads: int = 0
    inquiries: int = 0
    notes: int = 0
    kept: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> str:
        removed = {"leads": self.leads, "inquiries": self.inquiries, "notes": self.notes}
        return json.dumps({"removed": removed, "kept": {str(k): v for k, v in self.kept.items()}})

    @classmethod
    def from_json(cls, text: str | None) -> UndoReport:
        data = json.loads(text) if text else {}
        removed = data.get("removed", {})
        kept = {int(k): str(v) for k, v in data.get("kept", {}).items()}
        leads, inquiries = removed.get("leads", 0), removed.get("inquiries", 0)
        return cls(leads, inquiries, removed.get("notes", 0), kept)

    def line(self) -> str:
        return (
            f"removed {_counted(self.leads, 'lead')}, {_counted(self.inquiries, 'inquiry')} and "
            f"{_counted(self.notes, 'note')}; kept {_counted(len(self.kept), 'lead')} changed since"
        )


def _counted(count: int, word: str) -> str:
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{count:,} {word if count == 1 else plural}"


def undo_import(
    batch_id: int, actor: StaffUser | None, *, now: datetime | None = None
) -> UndoReport:
    """Remove what the batch created and nobody touched since (see the module's docstring).

    :raise ImportStateError: when the batch never started, or was undone already.
    """
    now = now or utcnow()
    with write_transaction():
        batch = locked_batch(batch_id)
        if batch.status not in UNDOABLE:
            raise ImportStateError(
                "This import was undone already."
                if batch.status == "undone"
                else "Nothing was imported from this file yet."
            )
        batch.status = "undoing"  # stops any step still importing it
        report = UndoReport.from_json(batch.undo_report)
    cutoff = batch.last_step_at or batch.started_at or now
    after = 0
    while True:
        with write_transaction():
            ids = list(
                db.session.execute(
                    select(Lead.id)
                    .where(Lead.import_batch_id == batch_id, Lead.id > after)
                    .order_by(Lead.id)
                    .limit(PAGE)
                ).scalars()
            )
            if not ids:
                break
            after = ids[-1]
            kept = _touched(batch_id, ids, cutoff)
            report.kept.update(kept)
            _remove_leads(report, [lead_id for lead_id in ids if lead_id not in kept])
            locked_batch(batch_id).undo_report = report.to_json()
    while _remove_joined_inquiries(batch_id, report):
        pass
    with write_transaction():
        batch = locked_batch(batch_id)
        db.session.execute(delete(ImportChunk).where(ImportChunk.batch_id == batch_id))
        batch.status = "undone"
        batch.undone_at = now
        batch.undone_by_id = actor.id if actor else None
        batch.undo_report = report.to_json()
        audit.record(
            "import_undone",
            actor=actor,
            actor_email=None if actor else "system",
            detail=f"batch {batch_id}: {report.line()}",
        )
    return report


def _touched(batch_id: int, ids: Sequence[int], cutoff: datetime) -> dict[int, str]:
    """The leads among ``ids`` that someone or something changed since the import, each with
    the first reason found."""
    other = aliased(Lead)
    of_lead = Lead.id.in_(ids)
    others_inquiry = or_(Inquiry.import_batch_id.is_(None), Inquiry.import_batch_id != batch_id)
    checks = [
        (Lead.erased_at.is_not(None), "erased since the import"),
        (Lead.merged_into_id.is_not(None), "merged into another lead since the import"),
        (
            exists().where(other.merged_into_id == Lead.id),
            "another lead was merged into it since the import",
        ),
        (
            exists().where(Inquiry.lead_id == Lead.id, others_inquiry),
            "the person sent another inquiry since the import",
        ),
        (
            exists()
            .where(LeadEvent.lead_id == Lead.id)
            .where(
                or_(
                    LeadEvent.inquiry_id.is_(None),
                    ~exists().where(
                        Inquiry.id == LeadEvent.inquiry_id, Inquiry.import_batch_id == batch_id
                    ),
                )
            ),
            "its timeline has entries added since the import (notes, calls, messages)",
        ),
        (exists().where(Appointment.lead_id == Lead.id), "it has a consultation booked"),
        (Lead.updated_at > cutoff, "changed since the import (stage, owner, follow-up or details)"),
        (exists().where(BulkActionLead.lead_id == Lead.id), "it was part of a bulk change"),
        (
            exists().where(
                other.possible_duplicate_of_id == Lead.id,
                or_(other.import_batch_id.is_(None), other.import_batch_id != batch_id),
            ),
            "a lead received since is marked as possibly the same person",
        ),
    ]
    kept: dict[int, str] = {}
    for condition, reason in checks:
        found = db.session.execute(select(Lead.id).where(of_lead, condition)).scalars()
        for lead_id in found:
            kept.setdefault(lead_id, reason)
    return kept


def _remove_leads(report: UndoReport, ids: list[int]) -> None:
    """Delete untouched leads of the import with their inquiries, timeline and counts."""
    if not ids:
        return
    session = db.session
    key = (Lead.status, Lead.condition_slug, Lead.owner_id)
    counted = session.execute(
        select(*key, func.count()).where(Lead.id.in_(ids)).group_by(*key)
    ).all()
    # In key order, as clinic.leads.counts moves them (no deadlock with a concurrent move).
    for status, condition, owner, leads in sorted(counted, key=lambda c: (c[0], c[1], c[2] or 0)):
        values = {"status": status, "condition": condition, "owner": owner or 0, "leads": leads}
        session.execute(_TAKE_COUNT, values)
    report.notes += _count(LeadEvent, LeadEvent.lead_id.in_(ids), LeadEvent.kind == "note")
    report.inquiries += _count(Inquiry, Inquiry.lead_id.in_(ids))
    session.execute(delete(LeadEvent).where(LeadEvent.lead_id.in_(ids)))
    session.execute(
        update(Lead)
        .where(Lead.possible_duplicate_of_id.in_(ids))
        .values(possible_duplicate_of_id=None, updated_at=Lead.updated_at)
    )
    session.execute(delete(Inquiry).where(Inquiry.lead_id.in_(ids)))
    derived.refresh_messages(ids)  # no inquiries left: their search rows go
    connection = session.connection()
    with sqlite_trigger_set_aside(connection, "leads_fts_after_delete") as set_aside:
        if set_aside:
            connection.execute(_FORGET_NAME_SEARCH, {"leads": ids})
        session.execute(delete(Lead).where(Lead.id.in_(ids)))
    report.leads += len(ids)


def _count(model: type[Base], *where: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(model).where(*where)
    return int(db.session.execute(query).scalar_one())


def _remove_joined_inquiries(batch_id: int, report: UndoReport) -> bool:
    """One page of the inquiries the import added to leads stored before it; False when none
    is left to remove."""
    merged_in = aliased(Lead)
    with write_transaction():
        rows = db.session.execute(
            select(Inquiry.id, Inquiry.lead_id, Lead.erased_at, Lead.import_batch_id)
            .join(Lead, Lead.id == Inquiry.lead_id)
            .where(Inquiry.import_batch_id == batch_id)
            .where(or_(Lead.import_batch_id.is_(None), Lead.import_batch_id != batch_id))
            .where(
                ~exists().where(
                    merged_in.merged_into_id == Inquiry.lead_id,
                    merged_in.import_batch_id == batch_id,
                )
            )
            .where(Lead.erased_at.is_(None))
            .order_by(Inquiry.id)
            .limit(PAGE)
        ).all()
        if not rows:
            _note_unremovable(batch_id, report)
            return False
        inquiry_ids = [row.id for row in rows]
        lead_ids = sorted({row.lead_id for row in rows})
        report.notes += _count(
            LeadEvent, LeadEvent.inquiry_id.in_(inquiry_ids), LeadEvent.kind == "note"
        )
        db.session.execute(delete(LeadEvent).where(LeadEvent.inquiry_id.in_(inquiry_ids)))
        db.session.execute(delete(Inquiry).where(Inquiry.id.in_(inquiry_ids)))
        remaining = select(func.count()).where(Inquiry.lead_id == Lead.id).scalar_subquery()
        latest = select(func.max(Inquiry.created_at)).where(Inquiry.lead_id == Lead.id)
        db.session.execute(
            update(Lead)
            .where(Lead.id.in_(lead_ids))
            .values(
                inquiry_count=remaining,
                last_inquiry_at=func.coalesce(latest.scalar_subquery(), Lead.last_inquiry_at),
                updated_at=Lead.updated_at,  # putting back what the import did is no edit
            )
            .execution_options(synchronize_session=False)
        )
        derived.refresh_messages(lead_ids)
        report.inquiries += len(inquiry_ids)
        locked_batch(batch_id).undo_report = report.to_json()
    return True


def _note_unremovable(batch_id: int, report: UndoReport) -> None:
    """The inquiries added to stored leads that stay: on an erased lead, or on a lead that a
    lead of the import was merged into."""
    left = db.session.execute(
        select(Lead.id, Lead.erased_at)
        .join(Inquiry, Inquiry.lead_id == Lead.id)
        .where(Inquiry.import_batch_id == batch_id)
        .where(or_(Lead.import_batch_id.is_(None), Lead.import_batch_id != batch_id))
        .distinct()
    ).all()
    for lead_id, erased_at in left:
        report.kept.setdefault(
            lead_id,
            "erased since the import"
            if erased_at is not None
            else "a lead of the import was merged into it, so its inquiries can't be told apart",
        )
