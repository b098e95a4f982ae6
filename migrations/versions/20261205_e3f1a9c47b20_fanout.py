"""The outbox fan-out: an update's subscribers still to be written as deliveries, a chunk at a time,
walked in id order along an index of each audience's subscribers to everything; and the
outbox's per-subscriber index made to answer "is an earlier message still pending?" by itself.

Revision ID: e3f1a9c47b20
Revises: badb1369421b
Create Date: 2026-12-05 07:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3f1a9c47b20'
down_revision = 'badb1369421b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fanout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.Integer(), nullable=False),
        sa.Column('after_subscriber_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['update_id'], ['incident_update.id'],
            name=op.f('fk_fanout_update_id_incident_update'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fanout')),
        sa.UniqueConstraint('update_id', name=op.f('uq_fanout_update_id')),
    )
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.create_index(
            'ix_subscriber_audience_everything', ['audience_id', 'id'], unique=False,
            sqlite_where=sa.text('incident_id IS NULL'),
            postgresql_where=sa.text('incident_id IS NULL'),
        )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_subscriber_id')
        batch_op.create_index(
            'ix_delivery_subscriber_state_next_attempt_at',
            ['subscriber_id', 'state', 'next_attempt_at'], unique=False,
        )


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_subscriber_state_next_attempt_at')
        batch_op.create_index('ix_delivery_subscriber_id', ['subscriber_id'], unique=False)
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriber_audience_everything')
    op.drop_table('fanout')
