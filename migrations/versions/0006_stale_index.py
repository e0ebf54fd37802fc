"""leads: index of recent activity, to count leads gone quiet without reading them all

At a million leads about half are open and most of those went quiet long ago; counting them
directly reads hundreds of thousands of rows. The staff home page counts the few open leads
worked on within the stale window instead and subtracts them from the open total.

Revision ID: 0006_stale_index
Revises: 0005_performance
Create Date: 2026-11-30 08:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_stale_index"
down_revision = "0005_performance"
branch_labels = None
depends_on = None

LISTED = "merged_into_id IS NULL AND erased_at IS NULL"


def upgrade():
    op.create_index(
        "ix_leads_recent_activity",
        "leads",
        ["last_activity_at", "status", "owner_id"],
        sqlite_where=sa.text(LISTED),
        postgresql_where=sa.text(LISTED),
    )


def downgrade():
    op.drop_index("ix_leads_recent_activity", table_name="leads")
