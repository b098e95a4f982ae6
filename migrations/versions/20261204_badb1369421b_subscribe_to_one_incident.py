"""Subscribing to one incident: subscriber.incident_id and ended_at, and uniqueness per kind of subscription.

An address may follow everything (or chosen components) once per audience, and each incident on
its own besides, so the one unique constraint becomes two partial unique indexes.

Revision ID: badb1369421b
Revises: 85586bde9bf1
Create Date: 2026-12-04 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'badb1369421b'
down_revision = '85586bde9bf1'
branch_labels = None
depends_on = None

EVERYTHING = sa.text('incident_id IS NULL')
ONE_INCIDENT = sa.text('incident_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_subscriber_incident_id_incident'), 'incident', ['incident_id'], ['id'],
            ondelete='CASCADE',
        )
        batch_op.drop_constraint('uq_subscriber_audience_id_kind_address', type_='unique')
    op.create_index(
        'uq_subscriber_audience_kind_address_everything', 'subscriber',
        ['audience_id', 'kind', 'address'], unique=True,
        sqlite_where=EVERYTHING, postgresql_where=EVERYTHING,
    )
    op.create_index(
        'uq_subscriber_incident_kind_address', 'subscriber',
        ['incident_id', 'kind', 'address'], unique=True,
        sqlite_where=ONE_INCIDENT, postgresql_where=ONE_INCIDENT,
    )


def downgrade():
    # Incident-only subscriptions have no place in the older schema.
    op.execute('DELETE FROM subscriber WHERE incident_id IS NOT NULL')
    op.drop_index('uq_subscriber_incident_kind_address', table_name='subscriber')
    op.drop_index('uq_subscriber_audience_kind_address_everything', table_name='subscriber')
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_subscriber_audience_id_kind_address'), ['audience_id', 'kind', 'address']
        )
        batch_op.drop_constraint(batch_op.f('fk_subscriber_incident_id_incident'), type_='foreignkey')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('incident_id')
