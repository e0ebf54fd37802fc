"""the clinic's profile, edited in the browser

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0025_clinic_profile
Revises: 0024_content_review
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0025_clinic_profile"
down_revision = "0024_content_review"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
