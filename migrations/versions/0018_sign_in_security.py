"""sign-in security: failures per account and address, two-factor sign-in, password resets

Revision ID: 0018_sign_in_security
Revises: 0017_identity_safe_intake
Create Date: 2026-12-07 12:00:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0018_sign_in_security"
down_revision = "0017_identity_safe_intake"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
