"""report facts: attempts before reach, stays in stage, indexes for the reports

- ``leads.attempts_before_reach``: unanswered contact attempts logged before the first one that
  reached the person (NULL until someone is reached), and ``lead_events.stage_seconds`` on each
  status change: the seconds spent in the stage it left. The follow-up and stage reports read
  them instead of numbering every lead's timeline with window functions.
- ``ix_leads_report``: every column the reports read, led by ``created_at`` and holding only
  leads not merged into another (what every report counts), so a year of leads is read from
  the index without touching the table.
- ``ix_leads_open_follow_up``: follow-up dates per coordinator with status and condition, for
  the overdue and due-today counts of the follow-up report.
- ``ix_lead_events_stage_stays``: each lead's status changes with the stage left and its stay.

Each index also lists the columns of its own WHERE: SQLite reads an index without the table
only when the index holds every column the query names.

The two new columns of rows that exist already are filled by ``flask reports backfill``
(run it after this upgrade on a database that holds leads); the app keeps them from then on.

Revision ID: 0007_report_facts
Revises: 0006_stale_index
Create Date: 2026-11-30 08:54:55.098269

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_report_facts"
down_revision = "0006_stale_index"
branch_labels = None
depends_on = None

NOT_MERGED = "merged_into_id IS NULL"
LISTED = "merged_into_id IS NULL AND erased_at IS NULL"
STATUS_CHANGES = "kind = 'status'"
REPORT_COLUMNS = [
    "created_at", "condition_slug", "furthest_stage", "business_seconds_to_contact", "owner_id",
    "first_article", "source", "first_campaign", "first_landing_page", "status", "lost_reason",
    "attempts", "attempts_before_reach", "merged_into_id",
]  # fmt: skip


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    op.add_column("lead_events", sa.Column("stage_seconds", sa.Float(), nullable=True))
    op.add_column("leads", sa.Column("attempts_before_reach", sa.Integer(), nullable=True))
    op.create_index(
        "ix_lead_events_stage_stays",
        "lead_events",
        ["lead_id", "from_status", "stage_seconds", "kind"],
        **_where(STATUS_CHANGES),
    )
    op.create_index("ix_leads_report", "leads", REPORT_COLUMNS, **_where(NOT_MERGED))
    op.create_index(
        "ix_leads_open_follow_up",
        "leads",
        ["owner_id", "follow_up_on", "status", "condition_slug", "merged_into_id", "erased_at"],
        **_where(LISTED),
    )


def downgrade():
    op.drop_index("ix_leads_open_follow_up", table_name="leads")
    op.drop_index("ix_leads_report", table_name="leads")
    op.drop_index("ix_lead_events_stage_stays", table_name="lead_events")
    op.drop_column("leads", "attempts_before_reach")
    op.drop_column("lead_events", "stage_seconds")
