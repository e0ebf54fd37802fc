"""lead-capture API keys and idempotency records

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0028_api_keys
Revises: 0027_lead_import
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0028_api_keys"
down_revision = "0027_lead_import"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
