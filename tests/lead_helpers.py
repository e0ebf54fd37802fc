"""Helpers for the lead workspace tests: leads stored as intake stores them, and the CSRF token
of a prefixed form (the lead record shows several forms, each with its own prefix)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import event, select, text

from clinic.extensions import db
from clinic.leads import counts, derived, facts, normalise
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.intake import Attribution, idempotency_key_for
from clinic.leads.normalise import normalise_phone
from clinic.models import AuditEntry, Inquiry, Lead, LeadEvent, utcnow
from tests.staff_helpers import make_staff, sign_in

_numbers = count(1)
ATTRIBUTION_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
)
_TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"')


def make_lead(
    name: str | None = None,
    *,
    email: str | None = None,
    phone: str | None = None,
    condition: str = "lupus",
    message: str = "Diagnosed in 2019.",
    at: datetime | None = None,
    ago: timedelta | None = None,
    attribution: Attribution | None = None,
    **fields,
) -> Lead:
    """A committed lead with one inquiry, stored the way intake stores it (same keys, same
    timeline entry) but without intake's automation, so each test decides owner and timeline.
    ``fields`` are then set on the lead, and its facts, search document and count follow."""
    number = next(_numbers)
    moment = at or (utcnow() - ago if ago is not None else utcnow())
    name = name or f"Patient {number}"
    email = email or f"patient{number}@example.com"
    phone = normalise_phone(phone, "US") if phone else None
    attribution = attribution or Attribution()
    lead = Lead(
        created_at=moment,
        updated_at=moment,
        name=name,
        name_key=normalise.fold(name),
        email=email,
        email_key=normalise.email_key(email),
        phone=phone,
        phone_digits=normalise.phone_digits(phone),
        condition_slug=condition,
        source=attribution.source(),
        first_inquiry_at=moment,
        last_inquiry_at=moment,
        last_activity_at=moment,
        inquiry_count=1,
        attempts=0,
        status="new",
    )
    db.session.add(lead)
    db.session.flush()
    inquiry = Inquiry(
        lead_id=lead.id,
        created_at=moment,
        idempotency_key=idempotency_key_for(None),
        name=name,
        email=email,
        phone=phone,
        condition_slug=condition,
        message=message,
        consent_version=CONSENT_VERSION,
        consent_at=moment,
        consent_page="/inquire",
        submitted_from="/inquire",
        **{key: getattr(attribution, key) for key in ATTRIBUTION_FIELDS},
    )
    db.session.add(inquiry)
    db.session.flush()
    db.session.add(
        LeadEvent(lead_id=lead.id, created_at=moment, kind="inquiry", inquiry_id=inquiry.id)
    )
    for key, value in fields.items():
        setattr(lead, key, value)
    facts.reach_stage(lead, lead.status)
    facts.refresh_speed(lead)
    derived.refresh_messages([lead.id])
    counts.move((None, counts.key_of(lead)))
    db.session.commit()
    return lead


def token_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def events_of(lead_id: int, kind: str | None = None) -> list[LeadEvent]:
    query = select(LeadEvent).where(LeadEvent.lead_id == lead_id)
    if kind:
        query = query.where(LeadEvent.kind == kind)
    return list(db.session.execute(query.order_by(LeadEvent.id)).scalars())


def audit_rows(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def signed_in(app, client, email: str, *, role: str = "coordinator", name: str = "Casey Coord"):
    """A staff account made for the test and signed in on ``client``, like a browser would."""
    with app.app_context():
        user = make_staff(email, name=name, role=role)
    assert sign_in(client, email).status_code == 302
    return user


def search_index_bytes() -> bytes:
    """Every byte SQLite's full-text indexes store (their FTS5 data tables)."""
    rows = db.session.execute(
        text("SELECT block FROM leads_fts_data UNION ALL SELECT block FROM search_messages_data")
    ).scalars()
    return b"".join(bytes(block) for block in rows if block is not None)


def database_file_bytes() -> bytes | None:
    """The SQLite database file and its write-ahead log, as stored; None for any other
    database."""
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        return None
    files = [Path(db.engine.url.database), Path(f"{db.engine.url.database}-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


class StatementLog:
    """Every SQL statement an engine sends while the block runs, in order (for query counts)."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def touching_leads(self) -> list[str]:
        return [s for s in self.statements if "FROM leads" in s]
