"""sign-in security: failed sign-ins per email and client address; password-reset links

Failed passwords were three counters on staff_users, so ten guesses from anywhere locked the
owner out too. They are now rows of sign_in_failures, keyed by a hash of the email typed and the
client address (clinic.staff.sign_in_throttle). password_reset_tokens keeps the hashes of the
emailed links to choose a new password.

The old counters are dropped with SQLite's own ALTER TABLE … DROP COLUMN (SQLite 3.35 and
later) rather than a batch copy of staff_users: other tables reference it, and with foreign keys
on, the copy's DROP TABLE fails as soon as they hold rows. Dropping them lifts any lock-out in
force at the upgrade.

Revision ID: 0018_sign_in_security
Revises: 0017_identity_safe_intake
Create Date: 2026-12-07 12:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0018_sign_in_security"
down_revision = "0017_identity_safe_intake"
branch_labels = None
depends_on = None

OLD_COUNTERS = ("failed_logins", "first_failed_login_at", "locked_until")


def upgrade():
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        "ix_sign_in_failures_email_key_created_at",
        "sign_in_failures",
        ["email_key", "created_at"],
    )
    op.create_index("ix_sign_in_failures_created_at", "sign_in_failures", ["created_at"])
    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_password_reset_tokens_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_password_reset_tokens_user_id"), "password_reset_tokens", ["user_id"]
    )
    for column in OLD_COUNTERS:
        op.drop_column("staff_users", column)


def downgrade():
    # Adding columns is an ALTER TABLE on SQLite too, no copy; the counters start from nothing.
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("first_failed_login_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f("ix_password_reset_tokens_user_id"), table_name="password_reset_tokens")
    op.drop_table("password_reset_tokens")
    op.drop_index("ix_sign_in_failures_created_at", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_email_key_created_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
