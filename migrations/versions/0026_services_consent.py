"""clinicians, services and prices, and the consent text each inquiry saw

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0026_services_consent
Revises: 0025_clinic_profile
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0026_services_consent"
down_revision = "0025_clinic_profile"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
