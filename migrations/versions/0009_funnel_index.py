"""funnel index: the funnel's breakdowns and stage in grouping order

``ix_leads_funnel`` holds, for leads not merged into another, the five funnel breakdowns
(condition, source, campaign, article, landing page) and the furthest stage in that order,
then ``created_at`` and ``merged_into_id`` so it is read without the table. SQLite groups only
by sorting: a year of leads (400,000) took 0.75 s to sort by those six columns, and reading
the whole index in its own order, keeping the period's leads, takes 0.12 s. Its WHERE also
names ``furthest_stage >= 0`` (true of every lead), which only the funnel's query repeats: a
partial index serves only queries whose WHERE implies its own, and without it SQLite picked
this index for every query on one condition (and then read the table for each lead).

Revision ID: 0009_funnel_index
Revises: 0008_stay_cohorts
Create Date: 2026-11-30 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_funnel_index"
down_revision = "0008_stay_cohorts"
branch_labels = None
depends_on = None

FUNNEL_COLUMNS = [
    "condition_slug", "source", "first_campaign", "first_article", "first_landing_page",
    "furthest_stage", "created_at", "merged_into_id",
]  # fmt: skip
FUNNEL_ROWS = "merged_into_id IS NULL AND furthest_stage >= 0"


def upgrade():
    op.create_index(
        "ix_leads_funnel",
        "leads",
        FUNNEL_COLUMNS,
        sqlite_where=sa.text(FUNNEL_ROWS),
        postgresql_where=sa.text(FUNNEL_ROWS),
    )


def downgrade():
    op.drop_index("ix_leads_funnel", table_name="leads")
