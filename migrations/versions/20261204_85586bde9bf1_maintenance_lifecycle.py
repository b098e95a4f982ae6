"""Maintenance lifecycle: reminders owed before a window starts, and each audience's reminder hours.

Revision ID: 85586bde9bf1
Revises: 2b8e4f6a9c13
Create Date: 2026-12-04 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85586bde9bf1'
down_revision = '2b8e4f6a9c13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('maintenance_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('audience_id', sa.Integer(), nullable=False),
    sa.Column('hours_before', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['audience_id'], ['audience.id'], name=op.f('fk_maintenance_reminder_audience_id_audience'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_maintenance_reminder_incident_id_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_reminder')),
    sa.UniqueConstraint('incident_id', 'audience_id', 'hours_before', 'starts_at', name='uq_maintenance_reminder')
    )
    with op.batch_alter_table('maintenance_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_maintenance_reminder_due', ['sent_at', 'due_at'], unique=False)
    with op.batch_alter_table('audience', schema=None) as batch_op:
        batch_op.add_column(sa.Column('maintenance_reminders', sa.String(length=100), server_default='72,24,1', nullable=False))


def downgrade():
    with op.batch_alter_table('audience', schema=None) as batch_op:
        batch_op.drop_column('maintenance_reminders')
    with op.batch_alter_table('maintenance_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_maintenance_reminder_due')
    op.drop_table('maintenance_reminder')
