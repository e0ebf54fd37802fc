"""outbox: channels, JSON payload, claims with a lease, lead link

Revision ID: 0002_outbox_channels
Revises: 0001_initial
Create Date: 2026-11-28 17:32:27.214436

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_outbox_channels'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('payload', sa.Text(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_messages_lead_id', ['lead_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_lead_id')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('lead_id')
        batch_op.drop_column('payload')
        batch_op.drop_column('channel')
