"""stays by cohort: each status change carries its lead's first-inquiry time

``lead_events.lead_created_at`` (status changes only; NULL for leads merged into another) and
``ix_lead_events_stays_by_cohort`` (stage, that time, the stay) let the time-in-stage report
read a year of stays from one index instead of joining 400,000 leads to their timelines.
Existing status changes are filled here; clinic/reports/facts.py keeps them from then on.

Revision ID: 0008_stay_cohorts
Revises: 0007_report_facts
Create Date: 2026-11-30 12:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_stay_cohorts"
down_revision = "0007_report_facts"
branch_labels = None
depends_on = None

STAY_COHORTS = "kind = 'status' AND lead_created_at IS NOT NULL"


def upgrade():
    op.add_column("lead_events", sa.Column("lead_created_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE lead_events SET lead_created_at = (SELECT leads.created_at FROM leads"
        " WHERE leads.id = lead_events.lead_id AND leads.merged_into_id IS NULL)"
        " WHERE kind = 'status'"
    )
    op.create_index(
        "ix_lead_events_stays_by_cohort",
        "lead_events",
        ["from_status", "lead_created_at", "stage_seconds", "kind"],
        sqlite_where=sa.text(STAY_COHORTS),
        postgresql_where=sa.text(STAY_COHORTS),
    )


def downgrade():
    op.drop_index("ix_lead_events_stays_by_cohort", table_name="lead_events")
    op.drop_column("lead_events", "lead_created_at")
