"""drop ix_lead_events_kind_created_at: no query reads it

The initial schema indexed the timeline by (kind, created_at) for activity queries that were
later answered from facts kept on the leads and the status changes (migration
0007_report_facts) instead. No statement of the app filters or orders the timeline by kind
and time any more — every one seeks a lead's entries or reads the status changes' own partial
indexes — and PostgreSQL counted no scan of it over every page and report of the
million-lead benchmarks. Yet every timeline entry written paid for it, and at a million demo
leads (6.8 million entries) building it took 11 of SQLite's 196 seconds of seeding.

Revision ID: 0016_drop_event_kind_index
Revises: 0015_sqlite_report_order
Create Date: 2026-11-30 19:00:00

"""

from alembic import op

revision = "0016_drop_event_kind_index"
down_revision = "0015_sqlite_report_order"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_lead_events_kind_created_at", table_name="lead_events")


def downgrade():
    op.create_index("ix_lead_events_kind_created_at", "lead_events", ["kind", "created_at"])
