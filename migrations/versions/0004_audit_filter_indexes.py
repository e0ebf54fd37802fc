"""audit log: indexes for the actor and lead filters

The audit page pages by id, newest first. Without these, filtering by a person or a lead that
appears rarely walks the whole table (about 1 s per million rows on PostgreSQL).

Revision ID: 0004_audit_filter_indexes
Revises: 0003_reports_automation
Create Date: 2026-11-28 17:44:51.363385

"""

from alembic import op

revision = "0004_audit_filter_indexes"
down_revision = "0003_reports_automation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entries_actor_email_id", "audit_entries", ["actor_email", "id"])
    op.create_index("ix_audit_entries_lead_id_id", "audit_entries", ["lead_id", "id"])


def downgrade():
    op.drop_index("ix_audit_entries_lead_id_id", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_email_id", table_name="audit_entries")
