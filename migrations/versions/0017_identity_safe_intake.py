"""identity-safe intake: inquiries keep their own contact details; possible same person

Revision ID: 0017_identity_safe_intake
Revises: 0016_drop_event_kind_index
Create Date: 2026-12-07 12:00:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0017_identity_safe_intake"
down_revision = "0016_drop_event_kind_index"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
