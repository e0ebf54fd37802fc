"""the clinic's profile, edited in the browser

New table: ``clinic_profile``, one row (id 1, held to it by a check constraint) with the clinic's
public facts: name, phone, email, opening hours, time zone, postal address, logo (its bytes,
content type and SHA-256) and links to its social media pages. No row is written here: until an
admin first saves the profile page, the app shows the first-start defaults from the environment
(CLINIC_NAME, CLINIC_PHONE, CLINIC_HOURS, CLINIC_TIMEZONE). Nothing existing changes.

Revision ID: 0025_clinic_profile
Revises: 0024_content_review
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0025_clinic_profile"
down_revision = "0024_content_review"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clinic_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("logo_data", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=20), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("facebook_url", sa.String(length=500), nullable=False),
        sa.Column("instagram_url", sa.String(length=500), nullable=False),
        sa.Column("youtube_url", sa.String(length=500), nullable=False),
        sa.Column("linkedin_url", sa.String(length=500), nullable=False),
        sa.Column("x_url", sa.String(length=500), nullable=False),
        sa.Column("other_url", sa.String(length=500), nullable=False),
        sa.Column("other_label", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_clinic_profile_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_profile")),
    )


def downgrade():
    op.drop_table("clinic_profile")
