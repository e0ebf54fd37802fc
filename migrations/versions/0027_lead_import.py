"""lead imports: batches, rows, saved mappings

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0027_lead_import
Revises: 0026_services_consent
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0027_lead_import"
down_revision = "0026_services_consent"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
