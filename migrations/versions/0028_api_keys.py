"""lead-capture API keys and idempotency records; where each inquiry came in

New tables: ``api_keys`` (the systems allowed to send inquiries; each key stored only as its
SHA-256, with a display prefix, its own rate limit and source name, and when it was last used
or revoked) and ``idempotency_records`` (the first answer to each request sent with an
Idempotency-Key, unique per key). New columns on ``inquiries``: ``channel`` ("form", "embed" or
"api"; existing rows get "form" from the column's default, without a rewrite on either database)
and ``api_key_id`` (nullable). Nothing existing is rewritten.

Revision ID: 0028_api_keys
Revises: 0027_lead_import
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0028_api_keys"
down_revision = "0027_lead_import"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_inquiries_api_key_id_api_keys"


def upgrade():
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source_name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_limit", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_api_keys_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_idempotency_records_api_key_id_api_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint(
            "api_key_id",
            "idempotency_key",
            name=op.f("uq_idempotency_records_api_key_id"),
        ),
    )
    with op.batch_alter_table("inquiries") as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=10), server_default="form", nullable=False)
        )
    # SQLite adds a nullable column with its reference in place; batch mode would copy the
    # whole table to add the constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE inquiries ADD COLUMN api_key_id INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES api_keys (id)"
        )
    else:
        op.add_column("inquiries", sa.Column("api_key_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FOREIGN_KEY), "inquiries", "api_keys", ["api_key_id"], ["id"])


def downgrade():
    with op.batch_alter_table("inquiries") as batch_op:
        batch_op.drop_constraint(batch_op.f(FOREIGN_KEY), type_="foreignkey")
        batch_op.drop_column("api_key_id")
        batch_op.drop_column("channel")
    op.drop_table("idempotency_records")
    op.drop_table("api_keys")
