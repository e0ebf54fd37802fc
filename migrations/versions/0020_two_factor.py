"""two-factor sign-in: TOTP secrets and recovery codes

Revision ID: 0020_two_factor
Revises: 0019_audit_export_permission
Create Date: 2026-12-07 12:05:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0020_two_factor"
down_revision = "0019_audit_export_permission"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
