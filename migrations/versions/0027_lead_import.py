"""lead imports: batches, their rows in pieces while they run, saved mappings

New tables: ``import_batches`` (each uploaded file: what it was read as, its column mapping, the
dry run's counts, how far the import got and its counts, its undo), ``import_chunks`` (the
file's rows in pieces, JSON, so any app server can take the next piece and a restart resumes
after the last committed one; a piece keeps only its refused rows once imported) and
``import_mappings`` (mappings saved under a name). New nullable columns ``leads.import_batch_id``
and ``inquiries.import_batch_id`` (what an import created, for its undo and for leaving imported
leads out of speed to lead), each with a partial index of the imported rows alone, empty until
something is imported. And a partial index of the timeline entries that name an inquiry
(``ix_lead_events_inquiry_id``): undoing an import deletes inquiries, and each deleted one
has its entries looked up; building it reads the timeline once.

Revision ID: 0027_lead_import
Revises: 0026_services_consent
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0027_lead_import"
down_revision = "0026_services_consent"
branch_labels = None
depends_on = None

IMPORTED_ROWS = sa.text("import_batch_id IS NOT NULL")
NAMES_INQUIRY = sa.text("inquiry_id IS NOT NULL")
# (table, foreign key name) of the two new columns.
COLUMNS = (
    ("leads", "fk_leads_import_batch_id_import_batches"),
    ("inquiries", "fk_inquiries_import_batch_id_import_batches"),
)


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("file_kind", sa.String(length=10), nullable=False),
        sa.Column("file_bytes", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("delimiter", sa.String(length=1), nullable=True),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_new", sa.Integer(), nullable=True),
        sa.Column("check_joined", sa.Integer(), nullable=True),
        sa.Column("check_possible", sa.Integer(), nullable=True),
        sa.Column("check_refused", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("next_chunk", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("new_leads", sa.Integer(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("possible_duplicates", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("last_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undo_report", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_import_batches_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["staff_users.id"],
            name=op.f("fk_import_batches_started_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"],
            ["staff_users.id"],
            name=op.f("fk_import_batches_undone_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_table(
        "import_chunks",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_chunks_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "number", name=op.f("pk_import_chunks")),
    )
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_import_mappings_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_import_mappings_name")),
    )

    # SQLite adds a nullable column with its reference in place; batch mode would copy the
    # whole table to do the same.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, foreign_key in COLUMNS:
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN import_batch_id INTEGER "
                f"CONSTRAINT {foreign_key} REFERENCES import_batches (id)"
            )
        else:
            op.add_column(table, sa.Column("import_batch_id", sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(foreign_key), table, "import_batches", ["import_batch_id"], ["id"]
            )

    op.create_index(
        op.f("ix_leads_import_batch_id"),
        "leads",
        ["import_batch_id", "id"],
        sqlite_where=IMPORTED_ROWS,
        postgresql_where=IMPORTED_ROWS,
    )
    op.create_index(
        op.f("ix_leads_imported_created_at"),
        "leads",
        ["created_at", "owner_id", "condition_slug", "merged_into_id", "import_batch_id"],
        sqlite_where=IMPORTED_ROWS,
        postgresql_where=IMPORTED_ROWS,
    )
    op.create_index(
        op.f("ix_inquiries_import_batch_id"),
        "inquiries",
        ["import_batch_id", "lead_id"],
        sqlite_where=IMPORTED_ROWS,
        postgresql_where=IMPORTED_ROWS,
    )
    op.create_index(
        op.f("ix_lead_events_inquiry_id"),
        "lead_events",
        ["inquiry_id"],
        sqlite_where=NAMES_INQUIRY,
        postgresql_where=NAMES_INQUIRY,
    )


def downgrade():
    op.drop_index(op.f("ix_lead_events_inquiry_id"), table_name="lead_events")
    op.drop_index(op.f("ix_inquiries_import_batch_id"), table_name="inquiries")
    op.drop_index(op.f("ix_leads_imported_created_at"), table_name="leads")
    op.drop_index(op.f("ix_leads_import_batch_id"), table_name="leads")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, foreign_key in COLUMNS:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN import_batch_id")
        else:
            op.drop_constraint(op.f(foreign_key), table, type_="foreignkey")
            op.drop_column(table, "import_batch_id")
    op.drop_table("import_mappings")
    op.drop_table("import_chunks")
    op.drop_table("import_batches")
