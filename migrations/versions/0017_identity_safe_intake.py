"""identity-safe intake: inquiries keep their own contact details; possible same person

Intake used to match a returning person by email *or* phone and overwrite the lead's name,
email and phone with what the form said, so anyone knowing a patient's phone number could take
over their record. Now an inquiry joins a lead only when every contact detail both have agrees;
one that shares a detail but differs in another becomes a lead of its own, marked as possibly
the same person as the other (``leads.possible_duplicate_of_id``), for staff to merge or
dismiss. The inquiries already kept their own name, email and phone, so no data moves: the new
column starts empty on every existing lead.

The partial index holds only the marked leads (a few), serving the inbox's "possible same
person" view and the lead record's look-up of leads marked against it.

SQLite: the column is added with ``ALTER TABLE … ADD COLUMN`` and its foreign key written inline,
not through a batch table copy, which would drop the triggers migration 0005 put on ``leads``
(status counts, name/email/phone search) and copy a million rows. Downgrading drops it with
``ALTER TABLE … DROP COLUMN`` (SQLite 3.35 or later), which keeps them too.

Revision ID: 0017_identity_safe_intake
Revises: 0016_drop_event_kind_index
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_identity_safe_intake"
down_revision = "0016_drop_event_kind_index"
branch_labels = None
depends_on = None

COLUMN = "possible_duplicate_of_id"
FOREIGN_KEY = "fk_leads_possible_duplicate_of_id_leads"
INDEX = "ix_leads_possible_duplicate_of_id"
MARKED = sa.text(f"{COLUMN} IS NOT NULL")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE leads ADD COLUMN {COLUMN} INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES leads (id)"
        )
    else:
        op.add_column("leads", sa.Column(COLUMN, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FOREIGN_KEY), "leads", "leads", [COLUMN], ["id"])
    op.create_index(
        INDEX, "leads", [COLUMN], unique=False, sqlite_where=MARKED, postgresql_where=MARKED
    )


def downgrade():
    op.drop_index(INDEX, table_name="leads")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE leads DROP COLUMN {COLUMN}")
    else:
        op.drop_constraint(op.f(FOREIGN_KEY), "leads", type_="foreignkey")
        op.drop_column("leads", COLUMN)
