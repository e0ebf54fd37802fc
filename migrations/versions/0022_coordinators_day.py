"""a coordinator's day: appointments, a follow-up time, inquiry references, bulk undo, inbox owner

New tables: ``appointments`` (consultations booked for a lead; general enough for patients to
book themselves later), ``bulk_actions`` and ``bulk_action_leads`` (what a bulk change did to each
lead, so the last one can be undone). New nullable columns: ``leads.follow_up_time`` (an optional
time on the follow-up day), ``inquiries.reference`` (the short reference a patient quotes on the
phone; older inquiries have none) and ``staff_users.inbox_owner`` (the owner filter each person
last chose). Nothing existing is rewritten; one small partial index is built, of the leads still
new by owner (``ix_leads_new_by_owner``, for the Today page's lists), which reads the leads once.

Revision ID: 0022_coordinators_day
Revises: 0021_derived_tables_in_code
Create Date: 2026-12-07 16:05:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0022_coordinators_day"
down_revision = "0021_derived_tables_in_code"
branch_labels = None
depends_on = None

BOOKED_ROWS = sa.text("status = 'booked'")
NEW_ROWS = sa.text("status = 'new' AND merged_into_id IS NULL AND erased_at IS NULL")


def upgrade():
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("booked_via", sa.String(length=20), nullable=False),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_appointments_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["staff_users.id"], name=op.f("fk_appointments_host_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["booked_by_id"],
            ["staff_users.id"],
            name=op.f("fk_appointments_booked_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["settled_by_id"],
            ["staff_users.id"],
            name=op.f("fk_appointments_settled_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(
        "ix_appointments_lead_id_starts_at", "appointments", ["lead_id", "starts_at"]
    )
    op.create_index(
        "ix_appointments_booked_starts_at",
        "appointments",
        ["starts_at", "host_id"],
        sqlite_where=BOOKED_ROWS,
        postgresql_where=BOOKED_ROWS,
    )
    op.create_index(
        "ix_appointments_booked_host_starts_at",
        "appointments",
        ["host_id", "starts_at"],
        sqlite_where=BOOKED_ROWS,
        postgresql_where=BOOKED_ROWS,
    )

    op.create_table(
        "bulk_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("lead_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_users.id"], name=op.f("fk_bulk_actions_actor_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"],
            ["staff_users.id"],
            name=op.f("fk_bulk_actions_undone_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_actions")),
    )
    op.create_index(
        "ix_bulk_actions_actor_id_created_at", "bulk_actions", ["actor_id", "created_at"]
    )
    op.create_table(
        "bulk_action_leads",
        sa.Column("bulk_action_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("previous_owner_id", sa.Integer(), nullable=True),
        sa.Column("previous_status", sa.String(length=32), nullable=True),
        sa.Column("previous_lost_reason", sa.String(length=32), nullable=True),
        sa.Column("new_owner_id", sa.Integer(), nullable=True),
        sa.Column("new_status", sa.String(length=32), nullable=True),
        sa.Column("new_lost_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["bulk_action_id"],
            ["bulk_actions.id"],
            name=op.f("fk_bulk_action_leads_bulk_action_id_bulk_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_bulk_action_leads_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("bulk_action_id", "lead_id", name=op.f("pk_bulk_action_leads")),
    )

    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("follow_up_time", sa.Time(), nullable=True))
    with op.batch_alter_table("inquiries") as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=16), nullable=True))
    # A unique index rather than a constraint: SQLite adds an index in place, where a
    # constraint would copy the whole table.
    op.create_index("ix_inquiries_reference", "inquiries", ["reference"], unique=True)
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.add_column(sa.Column("inbox_owner", sa.String(length=20), nullable=True))
    op.create_index(
        "ix_leads_new_by_owner",
        "leads",
        ["owner_id", "created_at", "id"],
        sqlite_where=NEW_ROWS,
        postgresql_where=NEW_ROWS,
    )


def downgrade():
    op.drop_index("ix_leads_new_by_owner", table_name="leads")
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.drop_column("inbox_owner")
    op.drop_index("ix_inquiries_reference", table_name="inquiries")
    with op.batch_alter_table("inquiries") as batch_op:
        batch_op.drop_column("reference")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_column("follow_up_time")
    op.drop_table("bulk_action_leads")
    op.drop_index("ix_bulk_actions_actor_id_created_at", table_name="bulk_actions")
    op.drop_table("bulk_actions")
    op.drop_index("ix_appointments_booked_host_starts_at", table_name="appointments")
    op.drop_index("ix_appointments_booked_starts_at", table_name="appointments")
    op.drop_index("ix_appointments_lead_id_starts_at", table_name="appointments")
    op.drop_table("appointments")
