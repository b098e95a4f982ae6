"""Monitoring alerts in: integrations (a receiver URL each, rules, mode, hold-down) and one alert
record per fingerprint (what it set, so that its resolution restores only that).

Revision ID: bdf2a07f1eda
Revises: e3f1a9c47b20
Create Date: 2026-12-05 06:38:26.629097

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bdf2a07f1eda'
down_revision = 'e3f1a9c47b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mode', sa.String(length=32), nullable=False),
    sa.Column('sealed_secret', sa.Text(), nullable=False),
    sa.Column('component_label', sa.String(length=120), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('impacts', sa.JSON(), nullable=False),
    sa.Column('holddown_seconds', sa.Integer(), nullable=False),
    sa.Column('commander_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commander_id'], ['user_account.id'], name=op.f('fk_integration_commander_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration')),
    sa.UniqueConstraint('name', name=op.f('uq_integration_name'))
    )
    op.create_table('alert_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('firing', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('status_set', sa.String(length=32), nullable=True),
    sa.Column('status_before', sa.String(length=32), nullable=True),
    sa.Column('restore_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('first_fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_alert_record_component_id_component'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_alert_record_incident_id_incident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_alert_record_integration_id_integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_record')),
    sa.UniqueConstraint('integration_id', 'fingerprint', name=op.f('uq_alert_record_integration_id_fingerprint'))
    )
    with op.batch_alter_table('alert_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_record_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_record_restore_due_at'), ['restore_due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('alert_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_record_restore_due_at'))
        batch_op.drop_index(batch_op.f('ix_alert_record_received_at'))

    op.drop_table('alert_record')
    op.drop_table('integration')
