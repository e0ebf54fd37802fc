"""The retention policy: closed leads are erased once they have been quiet past the policy age.

Erasure keeps a tombstone (ids, dates, status, condition, source) so reports still add up, and
writes audit rows; the leads' unsent messages, which hold their addresses, are deleted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from clinic import audit
from clinic.database import truncate_sqlite_log, write_transaction
from clinic.extensions import db
from clinic.leads.derived import compact_search
from clinic.leads.erasure import erase_lead
from clinic.leads.pipeline import CLOSED_STATUSES
from clinic.models import Lead, utcnow

AGE = re.compile(r"^\s*(\d{1,4})\s*([dmy])\s*$", re.IGNORECASE)


class PolicyAgeError(ValueError):
    """An age the purge can't read; the message shows the accepted forms."""


def parse_age(text: str) -> tuple[int, str]:
    """'18m' → (18, 'm'); days (d), months (m) and years (y) are accepted.

    :raise PolicyAgeError: for anything else, or an age of zero.
    """
    match = AGE.match(text or "")
    if not match or int(match[1]) == 0:
        raise PolicyAgeError(
            f"{text!r} is not an age: use a number and a unit, e.g. 18m (months), 2y or 90d."
        )
    return int(match[1]), match[2].lower()


def cutoff_for(text: str, now: datetime) -> datetime:
    """The moment before which a closed lead's last activity makes it due for erasure."""
    amount, unit = parse_age(text)
    if unit == "d":
        return now - timedelta(days=amount)
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(now.month - 1 - months, 12)
    year += now.year
    month += 1
    day = now.day
    while True:  # the 31st of a shorter month becomes its last day
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _due_query(cutoff: datetime) -> Select[Lead]:
    return select(Lead).where(
        Lead.status.in_(CLOSED_STATUSES),
        Lead.erased_at.is_(None),
        Lead.merged_into_id.is_(None),
        Lead.last_activity_at < cutoff,
    )


def closed_leads_due(cutoff: datetime) -> list[int]:
    """Ids of the closed, unerased leads whose last activity is older than the cutoff."""
    return list(
        db.session.execute(
            _due_query(cutoff).with_only_columns(Lead.id).order_by(Lead.id)
        ).scalars()
    )


@dataclass
class PurgeReport:
    cutoff: datetime
    due: list[int] = field(default_factory=list)
    erased: list[int] = field(default_factory=list)


def purge_closed_leads(age: str, *, act: bool, now: datetime | None = None) -> PurgeReport:
    """List (dry run) or erase (act=True) the closed leads older than `age`.

    Each lead is erased in its own short transaction, re-checked under the write lock, so a
    lead reopened by a new inquiry a moment ago is left alone.
    """
    now = now or utcnow()
    report = PurgeReport(cutoff=cutoff_for(age, now))
    report.due = closed_leads_due(report.cutoff)
    db.session.commit()
    if not act:
        return report
    for lead_id in report.due:
        with write_transaction():
            lead = db.session.execute(
                _due_query(report.cutoff).where(Lead.id == lead_id).with_for_update()
            ).scalar_one_or_none()
            if lead is None:
                continue
            erase_lead(lead, None, now=now, compact=False)
            report.erased.append(lead_id)
    if report.erased:
        with write_transaction():
            compact_search(db.session)  # once for all of them: it rewrites the whole index
            audit.record(
                "retention_purge",
                actor_email="system",
                detail=f"erased {len(report.erased)} closed lead(s) inactive since before "
                f"{report.cutoff:%Y-%m-%d} (policy {age})",
            )
        truncate_sqlite_log()  # the log still holds the pages as they were
    return report
