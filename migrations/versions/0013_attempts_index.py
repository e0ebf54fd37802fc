"""attempts index: leads with contact attempts, by attempts before reaching the person

The follow-up report counts a period's leads per number of unanswered attempts before the
first that reached the person. Both databases grouped by sorting or hashing the period's leads
(three years, a million: 0.46 s on SQLite, 0.18 s on PostgreSQL). ``ix_leads_attempts_before_
reach`` holds the leads with an attempt logged, by that number, with the period and condition:
SQLite seeks each number's period (a dozen numbers; 77 ms), PostgreSQL counts in index order.
Partial on ``attempts > 0``: a new lead has none, so intake never writes to it.

Revision ID: 0013_attempts_index
Revises: 0012_postgres_report_indexes
Create Date: 2026-11-30 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_attempts_index"
down_revision = "0012_postgres_report_indexes"
branch_labels = None
depends_on = None

ATTEMPTED_ROWS = "merged_into_id IS NULL AND attempts > 0"


def upgrade():
    op.create_index(
        "ix_leads_attempts_before_reach",
        "leads",
        ["attempts_before_reach", "created_at", "condition_slug", "attempts", "merged_into_id"],
        sqlite_where=sa.text(ATTEMPTED_ROWS),
        postgresql_where=sa.text(ATTEMPTED_ROWS),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Without statistics SQLite takes a new index for a selective one (see 0010).
        op.execute("PRAGMA analysis_limit = 0")
        op.execute("ANALYZE ix_leads_attempts_before_reach")


def downgrade():
    op.drop_index("ix_leads_attempts_before_reach", table_name="leads")
