"""One row per lead for spreadsheets (CSV) and machines (JSON lines)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Select, func, select

from clinic.extensions import db
from clinic.models import Inquiry, Lead

EXPORT_FIELDS = (
    "id",
    "created_at",
    "name",
    "email",
    "phone",
    "status",
    "lost_reason",
    "condition",
    "message",
    "inquiry_count",
    "first_contacted_at",
    "follow_up_on",
    "attempts",
    "owner_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "landing_page",
    "submitted_from",
    "sms_consent",
    "consent_version",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000


def all_leads() -> Select:
    return select(Lead).where(Lead.merged_into_id.is_(None)).order_by(Lead.id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_records(lead_query: Select | None = None) -> Iterator[dict]:
    """Each lead with its latest inquiry's message and attribution, streamed in batches.

    Leads are read with a server-side cursor; the latest inquiries for each batch come in one
    query, so memory stays flat and the query count grows with batches, not leads.
    """
    lead_query = (lead_query if lead_query is not None else all_leads()).execution_options(
        yield_per=BATCH
    )
    for partition in db.session.execute(lead_query).scalars().partitions(BATCH):
        latest = _latest_inquiries([lead.id for lead in partition])
        for lead in partition:
            inquiry = latest.get(lead.id)
            yield {
                "id": lead.id,
                "created_at": _iso(lead.created_at),
                "name": lead.name,
                "email": lead.email,
                "phone": lead.phone,
                "status": lead.status,
                "lost_reason": lead.lost_reason,
                "condition": lead.condition_slug,
                "message": inquiry.message if inquiry else None,
                "inquiry_count": lead.inquiry_count,
                "first_contacted_at": _iso(lead.first_contacted_at),
                "follow_up_on": lead.follow_up_on.isoformat() if lead.follow_up_on else None,
                "attempts": lead.attempts,
                "owner_id": lead.owner_id,
                "source": lead.source,
                "utm_source": inquiry.utm_source if inquiry else None,
                "utm_medium": inquiry.utm_medium if inquiry else None,
                "utm_campaign": inquiry.utm_campaign if inquiry else None,
                "referrer": inquiry.referrer if inquiry else None,
                "landing_page": inquiry.landing_page if inquiry else None,
                "submitted_from": inquiry.submitted_from if inquiry else None,
                "sms_consent": inquiry.sms_consent if inquiry else None,
                "consent_version": inquiry.consent_version if inquiry else None,
            }


def _latest_inquiries(lead_ids: list[int]) -> dict[int, Inquiry]:
    if not lead_ids:
        return {}
    latest_ids = (
        select(func.max(Inquiry.id)).where(Inquiry.lead_id.in_(lead_ids)).group_by(Inquiry.lead_id)
    )
    rows = db.session.execute(select(Inquiry).where(Inquiry.id.in_(latest_ids))).scalars()
    return {inquiry.lead_id: inquiry for inquiry in rows}


def neutralise_formula(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(records: Iterable[dict], *, bom: bool = False) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    yield ("\ufeff" if bom else "") + buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                "" if record[key] is None else neutralise_formula(record[key])
                for key in EXPORT_FIELDS
            ]
        )
        yield buffer.getvalue()


def jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"
