"""export permission granted per person

Revision ID: 0019_audit_export_permission
Revises: 0018_sign_in_security
Create Date: 2026-12-07 12:00:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0019_audit_export_permission"
down_revision = "0018_sign_in_security"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
