"""export permission granted per person: staff_users.can_export

Exporting patients' details (the inbox's CSV) stops being something every signed-in account
can do: admins grant it person by person. Accounts that are admins today keep exporting, as
they always could; coordinators start without it until an admin allows it.

The column has a server default so that rows written by anything but the app (a restore
script, a worker still on the old code during a deploy) start without the permission.

Both directions are plain ALTER TABLEs, on SQLite too (its DROP COLUMN since 3.35), not a
batch copy of staff_users: other tables reference it, and with foreign keys on, the copy's
DROP TABLE fails as soon as they hold rows. (A batch would copy here: Alembic recreates the
table for a column whose default is an expression such as false.)

Revision ID: 0019_audit_export_permission
Revises: 0018_sign_in_security
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_audit_export_permission"
down_revision = "0018_sign_in_security"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "staff_users",
        sa.Column("can_export", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    staff_users = sa.table("staff_users", sa.column("role", sa.String), sa.column("can_export"))
    op.execute(
        staff_users.update().where(staff_users.c.role == "admin").values(can_export=sa.true())
    )


def downgrade():
    op.drop_column("staff_users", "can_export")
