"""Subscriptions and the delivery outbox: tokens and names on subscribers; deliveries of any kind.

Revision ID: b6a9551c7d6b
Revises: 06759b95d531
Create Date: 2026-11-26 15:51:00.899546

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6a9551c7d6b'
down_revision = '06759b95d531'
branch_labels = None
depends_on = None


def upgrade():
    # New NOT NULL columns arrive nullable, are filled for rows already there, then tightened.
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('token_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('confirm_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True))
    # Existing subscribers get a key derived from their id and address (no random in portable SQL);
    # it only has to differ between subscribers, the signature protects it.
    op.execute("UPDATE subscriber SET token_key = 'k' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.alter_column('token_key', existing_type=sa.String(length=32), nullable=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('recipient', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('component_change_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
    op.execute(
        "UPDATE delivery SET kind = 'incident_update', "
        "channel = (SELECT kind FROM subscriber WHERE subscriber.id = delivery.subscriber_id), "
        "recipient = (SELECT address FROM subscriber WHERE subscriber.id = delivery.subscriber_id), "
        "dedupe_key = 'update:' || CAST(update_id AS VARCHAR(20)) || ':subscriber:' "
        "|| CAST(subscriber_id AS VARCHAR(20))"
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        for column, length in (('kind', 32), ('channel', 32), ('recipient', 2048), ('dedupe_key', 200)):
            batch_op.alter_column(column, existing_type=sa.String(length=length), nullable=False)
        batch_op.alter_column('update_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('subscriber_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_delivery_update_id_subscriber_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_delivery_update_id'), ['update_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_dedupe_key'), ['dedupe_key'])
        batch_op.create_foreign_key(batch_op.f('fk_delivery_component_change_id_component_status_change'), 'component_status_change', ['component_change_id'], ['id'], ondelete='CASCADE')


def downgrade():
    # Deliveries that only the new columns can describe have no place in the old table.
    op.execute("DELETE FROM delivery WHERE update_id IS NULL OR subscriber_id IS NULL")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_component_change_id_component_status_change'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_delivery_dedupe_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_delivery_update_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_update_id_subscriber_id'), ['update_id', 'subscriber_id'])
        batch_op.alter_column('subscriber_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column('update_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('payload')
        batch_op.drop_column('component_change_id')
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('recipient')
        batch_op.drop_column('channel')
        batch_op.drop_column('kind')

    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_column('unsubscribed_at')
        batch_op.drop_column('confirm_nonce')
        batch_op.drop_column('token_key')
        batch_op.drop_column('name')
