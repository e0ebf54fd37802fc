"""staff roles for the clinic-owned site: editors, clinical reviewers and their credentials

New nullable or defaulted columns on ``staff_users``: ``is_clinical_reviewer`` (an admin marks who
may approve medical pages), ``degree`` and ``specialty`` (shown beside the reviewer's name in
bylines). The editor role is a new value of the existing ``role`` column. Nothing is rewritten.

Revision ID: 0023_staff_roles
Revises: 0022_coordinators_day
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0023_staff_roles"
down_revision = "0022_coordinators_day"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column(
                "is_clinical_reviewer", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("degree", sa.String(60), nullable=True))
        batch.add_column(sa.Column("specialty", sa.String(120), nullable=True))


def downgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("specialty")
        batch.drop_column("degree")
        batch.drop_column("is_clinical_reviewer")
