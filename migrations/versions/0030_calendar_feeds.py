"""private calendar feeds for staff

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0030_calendar_feeds
Revises: 0029_patient_booking
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0030_calendar_feeds"
down_revision = "0029_patient_booking"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
