"""consultation availability: weekly hours, exceptions, booking settings, calendar feeds

New tables only; nothing existing is read or rewritten. ``weekly_hours`` (the clinic-local hours
in which each person holds each kind of consultation, by weekday), ``availability_exceptions``
(time off and one-off extra hours, as UTC instants), ``booking_settings`` (one row of the
clinic's booking rules; with no row the defaults apply, so none is inserted here) and
``calendar_feeds`` (each person's private calendar addresses, by the token's SHA-256 only).

Revision ID: 0029_availability
Revises: 0028_api_keys
Create Date: 2026-12-07 18:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029_availability"
down_revision = "0028_api_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "weekly_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_weekly_hours_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_hours")),
    )
    op.create_index(
        "ix_weekly_hours_staff_user_id_kind_weekday",
        "weekly_hours",
        ["staff_user_id", "kind", "weekday"],
    )

    op.create_table(
        "availability_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("kinds", sa.String(length=60), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_availability_exceptions_staff_user_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_availability_exceptions_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_exceptions")),
    )
    op.create_index(
        "ix_availability_exceptions_staff_user_id_ends_at",
        "availability_exceptions",
        ["staff_user_id", "ends_at"],
    )

    op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("notice_business_hours", sa.Integer(), nullable=False),
        sa.Column("link_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_booking_settings_updated_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_settings")),
    )

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_calendar_feeds_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_index("ix_calendar_feeds_staff_user_id", "calendar_feeds", ["staff_user_id"])


def downgrade():
    op.drop_index("ix_calendar_feeds_staff_user_id", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_table("booking_settings")
    op.drop_index(
        "ix_availability_exceptions_staff_user_id_ends_at", table_name="availability_exceptions"
    )
    op.drop_table("availability_exceptions")
    op.drop_index("ix_weekly_hours_staff_user_id_kind_weekday", table_name="weekly_hours")
    op.drop_table("weekly_hours")
