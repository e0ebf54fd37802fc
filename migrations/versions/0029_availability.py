"""consultation availability: weekly hours, exceptions, booking settings, calendar feeds

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0029_availability
Revises: 0028_api_keys
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0029_availability"
down_revision = "0028_api_keys"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
