"""The people who ask (Lead), each form they send (Inquiry) and what happens to them (LeadEvent)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base, UTCDateTime, utcnow

# What the reports read of a lead (clinic/reports/), led by the column that picks the period.
REPORT_COLUMNS = (
    "created_at", "condition_slug", "furthest_stage", "business_seconds_to_contact", "owner_id",
    "first_article", "source", "first_campaign", "first_landing_page", "status", "lost_reason",
    "attempts", "attempts_before_reach", "merged_into_id",
)  # fmt: skip
FUNNEL_COLUMNS = (
    "condition_slug", "source", "first_campaign", "first_article", "first_landing_page",
    "furthest_stage", "created_at", "merged_into_id",
)  # fmt: skip
FUNNEL_ROWS = "merged_into_id IS NULL AND furthest_stage >= 0"
# ix_leads_attempts_before_reach's rows: leads with a logged contact attempt (a new lead has
# none, so intake never writes to it), not merged into another.
ATTEMPTED_ROWS = "merged_into_id IS NULL AND attempts > 0"
# ix_leads_new_by_owner's rows: listed leads nobody has moved past "new" yet.
NEW_ROWS = "status = 'new' AND merged_into_id IS NULL AND erased_at IS NULL"
IMPORTED_ROWS = "import_batch_id IS NOT NULL"


class Lead(Base):
    """One person, however many times they write. Name, email and phone are the ones the person
    first gave (a merge may fill a missing one); each inquiry keeps the details it was sent with,
    so an unauthenticated form can never rewrite who a lead is."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Matching and search keys: fully lower-cased email, digits-only phone, folded name.
    email_key: Mapped[str | None] = mapped_column(String(320))
    phone_digits: Mapped[str | None] = mapped_column(String(20))
    name_key: Mapped[str] = mapped_column(String(200), default="")

    status: Mapped[str] = mapped_column(String(32), default="new")
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    condition_slug: Mapped[str] = mapped_column(String(80), default="other")
    source: Mapped[str] = mapped_column(String(120), default="direct")
    preferred_contact: Mapped[str | None] = mapped_column(String(20))
    best_time: Mapped[str | None] = mapped_column(String(40))
    payment: Mapped[str | None] = mapped_column(String(20))

    first_inquiry_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_inquiry_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    # An optional time on that day, clinic wall-clock time (migration 0022); None means any
    # time that day. Kept apart from the date so the follow-up indexes stay as they are.
    follow_up_time: Mapped[time | None] = mapped_column(Time)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    inquiry_count: Mapped[int] = mapped_column(Integer, default=0)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    # Intake's "possible same person as #N" (clinic/leads/identity.py): this lead shares a
    # contact detail with lead N but another detail differs, so it was not joined to it. Cleared
    # when staff merge the two or say they are different people.
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))

    # Kept for the reports (clinic/leads/facts.py) so they aggregate in SQL at any size:
    # the furthest pipeline stage ever reached (0 = new … 5 = treated), the wait until first
    # contact in clinic business seconds, and the first inquiry's campaign, article and landing.
    furthest_stage: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    business_seconds_to_contact: Mapped[int | None] = mapped_column(Integer)
    first_campaign: Mapped[str | None] = mapped_column(String(200))
    first_article: Mapped[str | None] = mapped_column(String(200))
    first_landing_page: Mapped[str | None] = mapped_column(String(200))
    # Unanswered contact attempts (no answer, voicemail, wrong number; a message sent or
    # bounced) logged before the first one that reached the person (a call answered, a message
    # replied to); None until someone is reached (migration 0007_report_facts).
    attempts_before_reach: Mapped[int | None] = mapped_column(Integer)
    # The import that created the lead (migration 0027_lead_import, clinic.leads.importing);
    # None for a lead that wrote in. Counted in volume and the funnel, never in speed to lead:
    # nobody here was answering it, so its wait until first contact stays empty.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))

    owner = relationship("StaffUser", lazy="raise_on_sql", foreign_keys=[owner_id])
    inquiries: Mapped[list[Inquiry]] = relationship(
        back_populates="lead", order_by="Inquiry.id", lazy="raise_on_sql"
    )

    __table_args__ = (
        Index("ix_leads_email_key", "email_key"),
        Index("ix_leads_phone_digits", "phone_digits"),
        Index("ix_leads_created_at_id", "created_at", "id"),
        Index("ix_leads_status_created_at_id", "status", "created_at", "id"),
        Index("ix_leads_condition_created_at_id", "condition_slug", "created_at", "id"),
        Index("ix_leads_owner_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_leads_source_created_at_id", "source", "created_at", "id"),
        Index("ix_leads_follow_up_on", "follow_up_on"),
        Index("ix_leads_name_key", "name_key"),
        # Added for speed at a million leads (migrations 0005_performance and
        # 0010_follow_up_order): a coordinator's due follow-ups in date and id order, and the
        # few leads merged into another (erasure, merge, deletes) — partial, so the planner
        # never mistakes "not merged" for a narrow filter.
        Index("ix_leads_owner_follow_up_on_id", "owner_id", "follow_up_on", "id"),
        Index(
            "ix_leads_merged_into_id",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
        # Migration 0017_identity_safe_intake: the few leads marked as possibly the same person
        # as another, for the inbox's view of them and the lead record's reverse look-up.
        Index(
            "ix_leads_possible_duplicate_of_id",
            "possible_duplicate_of_id",
            sqlite_where=text("possible_duplicate_of_id IS NOT NULL"),
            postgresql_where=text("possible_duplicate_of_id IS NOT NULL"),
        ),
        # Migration 0006_stale_index: the open leads someone worked on lately, so "gone quiet"
        # is counted as open leads (lead_counts) minus these few, not by reading every open lead.
        Index(
            "ix_leads_recent_activity",
            "last_activity_at",
            "status",
            "owner_id",
            sqlite_where=text("merged_into_id IS NULL AND erased_at IS NULL"),
            postgresql_where=text("merged_into_id IS NULL AND erased_at IS NULL"),
        ),
        # Migration 0007_report_facts: every column a report reads, in the order the reports
        # pick leads (first inquiry), so a year of leads is read from the index alone; and
        # the open follow-ups per coordinator for the follow-up report. Each also lists the
        # columns of its own WHERE: SQLite only reads an index alone when it holds every
        # column the query names.
        Index(
            "ix_leads_report",
            *REPORT_COLUMNS,
            sqlite_where=text("merged_into_id IS NULL"),
            postgresql_where=text("merged_into_id IS NULL"),
        ),
        # Migration 0009_funnel_index: the funnel's breakdowns and stage in grouping order, so
        # SQLite (which groups only by sorting) counts a year of leads in one ordered pass.
        # Its WHERE names the stage, which only the report queries meant for it repeat
        # (reports.queries.funnel_index_scope): a partial index serves only queries whose
        # WHERE implies its own, so no other query picks it up.
        Index(
            "ix_leads_funnel",
            *FUNNEL_COLUMNS,
            sqlite_where=text(FUNNEL_ROWS),
            postgresql_where=text(FUNNEL_ROWS),
        ),
        # Migration 0013_attempts_index: leads with logged contact attempts, by attempts before
        # reaching the person, so the follow-up report counts a period's leads per number
        # without sorting them (SQLite seeks each number's period in the index).
        Index(
            "ix_leads_attempts_before_reach",
            "attempts_before_reach",
            "created_at",
            "condition_slug",
            "attempts",
            "merged_into_id",
            sqlite_where=text(ATTEMPTED_ROWS),
            postgresql_where=text(ATTEMPTED_ROWS),
        ),
        Index(
            "ix_leads_open_follow_up",
            "owner_id",
            "follow_up_on",
            "status",
            "condition_slug",
            "merged_into_id",
            "erased_at",
            sqlite_where=text("merged_into_id IS NULL AND erased_at IS NULL"),
            postgresql_where=text("merged_into_id IS NULL AND erased_at IS NULL"),
        ),
        # Migration 0022_coordinators_day: each owner's new leads (and nobody's) in the order
        # they wrote, for Today's lists, whatever the rest of the new leads hold. Small: only
        # leads still new are in it. A query must spell status = 'new' as a literal for SQLite
        # to use it.
        Index(
            "ix_leads_new_by_owner",
            "owner_id",
            "created_at",
            "id",
            sqlite_where=text(NEW_ROWS),
            postgresql_where=text(NEW_ROWS),
        ),
        # Migration 0027_lead_import: the few imported leads, by batch (to undo one) and by
        # when they first wrote (speed to lead leaves a period's imported leads out).
        Index(
            "ix_leads_import_batch_id",
            "import_batch_id",
            "id",
            sqlite_where=text(IMPORTED_ROWS),
            postgresql_where=text(IMPORTED_ROWS),
        ),
        Index(
            "ix_leads_imported_created_at",
            "created_at",
            "owner_id",
            "condition_slug",
            "merged_into_id",
            "import_batch_id",
            sqlite_where=text(IMPORTED_ROWS),
            postgresql_where=text(IMPORTED_ROWS),
        ),
    )

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Inquiry(Base):
    """One submission of the form as sent (normalised where promised), with its evidence."""

    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The short reference the thanks page gives the person to quote on the phone (never the
    # row id); None for inquiries received before migration 0022.
    reference: Mapped[str | None] = mapped_column(String(16))

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    condition_slug: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text, default="")
    preferred_contact: Mapped[str | None] = mapped_column(String(20))
    best_time: Mapped[str | None] = mapped_column(String(40))
    payment: Mapped[str | None] = mapped_column(String(20))

    consent_version: Mapped[str] = mapped_column(String(40))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_page: Mapped[str] = mapped_column(String(500))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The exact wording shown (migration 0026_services_consent); None for older inquiries, whose
    # wording is found by consent_version.
    consent_text_id: Mapped[int | None] = mapped_column(ForeignKey("consent_texts.id"))

    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(String(500))
    landing_page: Mapped[str | None] = mapped_column(String(500))
    submitted_from: Mapped[str | None] = mapped_column(String(500))
    # How it came in (migration 0028_api_keys): "form" on the site, "embed" (the form framed
    # on the clinic's own site; submitted_from is that page) or "api", with the key it used.
    channel: Mapped[str] = mapped_column(String(10), default="form", server_default="form")
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    # The import that created this inquiry (migration 0027_lead_import), on a lead it created
    # or one it joined; what undoing the import removes.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))

    lead: Mapped[Lead] = relationship(back_populates="inquiries", lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_inquiries_reference", "reference", unique=True),
        Index(
            "ix_inquiries_import_batch_id",
            "import_batch_id",
            "lead_id",
            sqlite_where=text(IMPORTED_ROWS),
            postgresql_where=text(IMPORTED_ROWS),
        ),
    )


STAY_COHORTS = "kind = 'status' AND lead_created_at IS NOT NULL"


class LeadEvent(Base):
    """A line on a lead's timeline: inquiry, status change, note, contact attempt, assignment…"""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None means the system did it (automatic assignment, a returning patient's inquiry).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id"))
    body: Mapped[str | None] = mapped_column(Text)
    # Status changes only: seconds the lead spent in ``from_status`` before this change, from
    # the previous change (or the first inquiry) — kept by clinic/leads/facts.py.
    stage_seconds: Mapped[float | None] = mapped_column(Float)
    # Status changes only: when the lead first wrote (its ``created_at``; None once it is merged
    # into another), so the stage report finds a period's stays without joining the leads.
    lead_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor = relationship("StaffUser", lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_lead_events_lead_id_created_at", "lead_id", "created_at"),
        # Migration 0007_report_facts: a lead's stays in each stage, read without the table
        # (``kind`` listed for SQLite, as for the report indexes on leads).
        Index(
            "ix_lead_events_stage_stays",
            "lead_id",
            "from_status",
            "stage_seconds",
            "kind",
            sqlite_where=text("kind = 'status'"),
            postgresql_where=text("kind = 'status'"),
        ),
        # Migration 0008_stay_cohorts: each stage's stays by when their lead first wrote.
        Index(
            "ix_lead_events_stays_by_cohort",
            "from_status",
            "lead_created_at",
            "stage_seconds",
            "kind",
            sqlite_where=text(STAY_COHORTS),
            postgresql_where=text(STAY_COHORTS),
        ),
        # Migration 0027_lead_import: an inquiry's entries, so deleting inquiries (undoing an
        # import) finds what points at them without reading the whole timeline table per row.
        Index(
            "ix_lead_events_inquiry_id",
            "inquiry_id",
            sqlite_where=text("inquiry_id IS NOT NULL"),
            postgresql_where=text("inquiry_id IS NOT NULL"),
        ),
    )
