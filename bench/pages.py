"""The pages issue 6 sets speed targets for, built from facts about a seeded database.

Each page knows its target (milliseconds of server time) and what a correct answer holds, so
the benchmark and its smoke test (tests/test_bench_smoke.py) check they timed a real page, not
an error or an empty list. Facts come from the database itself: a lead to open and to search
for by email fragment, by phone in three formats and by name with and without accents, and
cursors deep into the filtered lists ("any page reachable by next").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode

import phonenumbers
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.leads import normalise
from clinic.leads.inbox import cursor_for
from clinic.models import Inquiry, Lead, LeadEvent, StaffUser

COORDINATOR_EMAIL = "amara.okafor@example.org"
BENCH_PASSWORD = "bench-coordinator-password"  # noqa: S105  (a benchmark database, not real)
LEAD_ROW = r'<tr class="lead-row'
# One per timeline entry (entries made together share a list item).
TIMELINE_ITEM = r'<div class="timeline__entry '
SPEED_SECTION = r'id="speed-title"'
# Today opens on the coordinator's own work; the plain inbox on their own leads.
TODAY_OWN_WORK = (r'id="my-new-title"', r'id="follow-ups-title"', r'id="appointments-title"')
INBOX_MINE = (r'<a class="owner-switch__choice" href="[^"]*" aria-current="page">Mine</a>',)
# Words patients use in messages, tried in this order (the first one present is searched).
MESSAGE_WORDS = ("methotrexate", "Benlysta", "insurance")


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    target_ms: float
    path: str
    # The answer must hold at least ``min_rows`` matches of ``pattern`` (lead rows by default)
    # and, for a search, a link to the lead searched for.
    min_rows: int = 1
    must_show: int | None = None
    pattern: str = LEAD_ROW
    # Patterns the answer must also hold once each at least (a page's sections).
    must_hold: tuple[str, ...] = ()


@dataclass
class Facts:
    """What the page URLs are built from; gathered once per run, in an app context."""

    coordinator_id: int
    record_id: int
    record_events: int
    target_id: int
    phone: str
    email_fragment: str
    name_accented: str
    name_plain: str
    message_word: str
    deep: dict[str, str] = field(default_factory=dict)


def gather_facts() -> Facts:
    """Pick the leads the pages show and search for, and cursors halfway down the lists."""
    coordinator_id = db.session.execute(
        select(StaffUser.id).where(StaffUser.email == COORDINATOR_EMAIL)
    ).scalar_one()
    # The newest lead with an accented Latin name and a phone: searched for every way.
    candidates = db.session.execute(
        select(Lead)
        .where(Lead.phone_digits.is_not(None), Lead.merged_into_id.is_(None))
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(500)
    ).scalars()
    target = next(lead for lead in candidates if _accented_latin(lead.name))
    record_id = db.session.execute(
        select(Lead.id)
        .where(Lead.status == "treated")
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
    ).scalar_one()
    word = next(w for w in MESSAGE_WORDS if _message_mentions(w))
    record_events = db.session.execute(
        select(func.count()).select_from(LeadEvent).where(LeadEvent.lead_id == record_id)
    ).scalar_one()
    return Facts(
        coordinator_id=coordinator_id,
        record_id=record_id,
        record_events=record_events,
        target_id=target.id,
        phone=target.phone,
        email_fragment=target.email.split("@")[0][-10:],
        name_accented=target.name,
        name_plain=normalise.fold(target.name),
        message_word=word,
        deep={
            "status": _halfway(Lead.status == "contacted"),
            "condition": _halfway(Lead.condition_slug == "lupus"),
            "owner": _halfway(Lead.owner_id == coordinator_id),
        },
    )


def _accented_latin(name: str) -> bool:
    """'Núñez' yes; 'Nunez' and '王芳' no."""
    return not name.isascii() and all(
        ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in name
    )


def _message_mentions(word: str) -> bool:
    query = select(Inquiry.id).where(Inquiry.message.contains(word)).limit(1)
    return db.session.execute(query).first() is not None


def _halfway(condition) -> str:
    """A "next page" cursor halfway down the newest-first list of the leads meeting the
    condition, among open leads (what the inbox shows by default)."""
    span = db.session.execute(
        select(func.min(Lead.created_at), func.max(Lead.created_at)).where(condition)
    ).one()
    middle = span[0] + (span[1] - span[0]) / 2
    lead = db.session.execute(
        select(Lead)
        .where(condition, Lead.created_at <= middle)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
    ).scalar_one()
    return cursor_for(lead, "newest")


def inbox(**query: str) -> str:
    return "/staff/leads" + (f"?{urlencode(query)}" if query else "")


def pages(facts: Facts) -> list[Page]:
    """Every row of issue 6's table, in its order."""
    number = phonenumbers.parse(facts.phone)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    dotted = re.sub(r"\D", "", national)
    dotted = f"{dotted[:3]}.{dotted[3:6]}.{dotted[6:]}"
    target = facts.target_id
    deep = facts.deep
    return [
        Page("inbox", "inbox, default view (a coordinator's own), first page, tab counts", 20,
             inbox(), min_rows=50, must_hold=INBOX_MINE),
        Page("status", "inbox filtered by status", 20, inbox(status="contacted"), min_rows=50),
        Page("status_next", "… status, next page halfway down", 20,
             inbox(status="contacted", after=deep["status"]), min_rows=50),
        Page("condition", "inbox filtered by condition", 20, inbox(condition="lupus"),
             min_rows=50),
        Page("condition_next", "… condition, next page halfway down", 20,
             inbox(condition="lupus", after=deep["condition"]), min_rows=50),
        Page("owner", "inbox filtered by owner (me)", 20, inbox(owner="me"), min_rows=50),
        Page("owner_next", "… owner, next page halfway down", 20,
             inbox(owner="me", after=deep["owner"]), min_rows=50),
        Page("overdue", "inbox view=overdue", 25, inbox(view="overdue"), min_rows=50),
        Page("unassigned", "inbox view=unassigned", 25, inbox(view="unassigned"), min_rows=50),
        Page("search_email", "search by email fragment", 50, inbox(q=facts.email_fragment),
             must_show=target),
        Page("search_phone_national", "search by phone (212) 555-0142", 50, inbox(q=national),
             must_show=target),
        Page("search_phone_dotted", "search by phone 212.555.0142", 50, inbox(q=dotted),
             must_show=target),
        Page("search_phone_e164", "search by phone +12125550142", 50, inbox(q=facts.phone),
             must_show=target),
        Page("search_name_accented", "search by name, accented", 50,
             inbox(q=facts.name_accented), must_show=target),
        Page("search_name_plain", "search by name, unaccented", 50, inbox(q=facts.name_plain),
             must_show=target),
        Page("search_message", "full-text search in messages", 150,
             inbox(q=facts.message_word), min_rows=1),
        Page("lead", "lead record with timeline", 15, f"/staff/leads/{facts.record_id}",
             min_rows=facts.record_events, pattern=TIMELINE_ITEM),
        Page("home", "/staff/ home (own new leads, follow-ups, consultations; speed, counts)", 40,
             "/staff/", pattern=SPEED_SECTION, must_hold=TODAY_OWN_WORK),
        Page("inquire", "GET /inquire (the public form)", 20, "/inquire",
             pattern=r'name="form_token"'),
    ]  # fmt: skip


def check(page: Page, status: int, html: str) -> str | None:
    """What is wrong with the answer, or None when it is the page it should be."""
    if status != 200:
        return f"{page.key}: HTTP {status}"
    found = len(re.findall(page.pattern, html))
    if found < page.min_rows:
        return f"{page.key}: {found} × {page.pattern!r}, expected at least {page.min_rows}"
    if page.must_show is not None and f'href="/staff/leads/{page.must_show}"' not in html:
        return f"{page.key}: lead {page.must_show} is not on the page"
    missing = [pattern for pattern in page.must_hold if not re.search(pattern, html)]
    if missing:
        return f"{page.key}: no {missing[0]!r} on the page"
    return None
