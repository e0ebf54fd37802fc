"""condition cohort index: one condition's listed leads of a period, ids in the index (PostgreSQL)

Time in stage for one condition joins the condition's leads of the period to their status
changes (a lead's condition can change, so the stays' own cohort index can't answer it). At
three years, lupus's 150,000 leads were found through (condition, created_at, id) and then
fetched from the table one by one, only to read ``merged_into_id``: 15,000 table pages and 0.55 s
for the report's statement. With the listed leads of each condition in an index that carries
their ids, the scan reads the index alone: 0.27 s.

PostgreSQL's alone (SQLite reads a report's leads from its covering ``ix_leads_report``),
written by hand and left out of autogenerate (migrations/env.py), like 0012's. A new lead adds
an entry to it.

Revision ID: 0014_condition_cohort_index
Revises: 0013_attempts_index
Create Date: 2026-11-30 17:00:00

"""

from alembic import op

revision = "0014_condition_cohort_index"
down_revision = "0013_attempts_index"
branch_labels = None
depends_on = None

INDEX = (
    "CREATE INDEX ix_leads_condition_cohort ON leads (condition_slug, created_at) "
    "INCLUDE (id) WHERE merged_into_id IS NULL"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(INDEX)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_leads_condition_cohort")
