"""patients book their own consultation: booking links, one booking per slot, reminders

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0030_patient_booking
Revises: 0029_availability
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0030_patient_booking"
down_revision = "0029_availability"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
