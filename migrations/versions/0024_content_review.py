"""pages in the database: revisions, references, reviews

(Placeholder while the change is written: no schema change yet.)

Revision ID: 0024_content_review
Revises: 0023_staff_roles
Create Date: 2026-12-07 18:40:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0024_content_review"
down_revision = "0023_staff_roles"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
