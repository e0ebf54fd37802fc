"""patients book their own consultation: one booking per slot, invitation sequence, reminders

New table ``appointment_reminders`` (the reminders queued, one per appointment, kind and start,
so a restarted worker never sends one twice). New columns on ``appointments``: ``sequence``
(the calendar invitation's SEQUENCE, 0 for every existing row) and ``timezone_hint`` (the
patient's time zone, nullable). A partial unique index ``uq_appointments_booked_host_starts_at``
on (host_id, starts_at) of the booked rows with a host: two patients choosing the same time,
exactly one gets it.

Existing rows could already hold two booked consultations of one host at one start (booked by
hand). The index can't be built over them, and which one should move is for people to decide,
so the upgrade refuses: it stops with a message naming the appointments, and nothing is
changed (run it again once one of each pair is moved or cancelled). Building the index reads the
booked appointments once.

Revision ID: 0030_patient_booking
Revises: 0029_availability
Create Date: 2026-12-07 18:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0030_patient_booking"
down_revision = "0029_availability"
branch_labels = None
depends_on = None

BOOKED_SLOT_ROWS = sa.text("status = 'booked' AND host_id IS NOT NULL")

_CLASHES = sa.text(
    "SELECT host_id, starts_at, COUNT(*) AS booked, MIN(id) AS first_id, MAX(id) AS last_id "
    "FROM appointments WHERE status = 'booked' AND host_id IS NOT NULL "
    "GROUP BY host_id, starts_at HAVING COUNT(*) > 1 ORDER BY starts_at"
)


def _refuse_double_bookings():
    clashes = op.get_bind().execute(_CLASHES).all()
    if not clashes:
        return
    lines = [
        f"  host (staff id) {row.host_id} at {row.starts_at} (UTC): {row.booked} booked, "
        f"appointment ids {row.first_id}..{row.last_id}"
        for row in clashes
    ]
    raise RuntimeError(
        "0030_patient_booking: some staff hold two booked consultations at the same start; "
        "move or cancel one of each (in the lead's record) and upgrade again:\n" + "\n".join(lines)
    )


def upgrade():
    _refuse_double_bookings()
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("timezone_hint", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_appointments_booked_host_starts_at",
        "appointments",
        ["host_id", "starts_at"],
        unique=True,
        sqlite_where=BOOKED_SLOT_ROWS,
        postgresql_where=BOOKED_SLOT_ROWS,
    )
    op.create_table(
        "appointment_reminders",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_reminders_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "appointment_id", "kind", "starts_at", name=op.f("pk_appointment_reminders")
        ),
    )


def downgrade():
    op.drop_table("appointment_reminders")
    op.drop_index("uq_appointments_booked_host_starts_at", table_name="appointments")
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.drop_column("timezone_hint")
        batch_op.drop_column("sequence")
